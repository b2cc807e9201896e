/**
 * rollout-state/testing/vitest: the conformance suite as vitest tests (through `@effect/vitest`,
 * optional peers of the package, as vitest itself is).
 * @since 0.1.0
 */
import { describe, it } from "@effect/vitest"
import { runs, timeoutFor } from "./Arbitraries.js"
import { conformanceSuite, type SuiteOptions } from "./ConformanceSuite.js"
import type { EngineFactory } from "./EngineFactory.js"
import { ENGINE_MODEL_PROPERTY, engineModelProperty } from "./EngineModel.js"

/** @since 0.1.0 @category models */
export interface DescribeOptions extends SuiteOptions {
  /**
   * Cases of the model-based property (default 25; `FC_RUNS` raises it); `false` leaves the
   * property out, for a project that runs `engineModelProperty` on its own.
   */
  readonly model?: number | false
}

/**
 * A `describe` block with a test per conformance case, and the model-based property, over
 * `factory`'s engine.
 * @since 0.1.0
 */
export const describeConformance = <D, E>(
  name: string,
  factory: EngineFactory<D, E>,
  options: DescribeOptions = {}
): void => {
  describe(name, () => {
    for (const conformanceCase of conformanceSuite(factory, options)) {
      it.live(conformanceCase.name, () => conformanceCase.run, conformanceCase.timeoutMs)
    }
    const model = options.model ?? 25
    if (model !== false) {
      it.live(
        ENGINE_MODEL_PROPERTY,
        () => engineModelProperty(factory, { numRuns: runs(model) }),
        timeoutFor(model, 600_000)
      )
    }
  })
}
