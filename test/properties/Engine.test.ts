/**
 * The engine's central guarantee against a model of what can happen to a home (the kit's
 * `engineModelProperty`, `src/testing/EngineModel.ts`), on SQLite.
 */
import { describe, it } from "@effect/vitest"
import { sqlite } from "../../src/testing/EngineFactory.js"
import { ENGINE_MODEL_PROPERTY, engineModelProperty } from "../../src/testing/EngineModel.js"
import { runs, timeoutFor } from "../fixtures/arbitraries.js"

describe("engine model", () => {
  it.live(ENGINE_MODEL_PROPERTY, () => engineModelProperty(sqlite, { numRuns: runs(25) }), timeoutFor(25, 600_000))
})
