/**
 * How the kit's cases check what they observe without a test runner: a failed check is a
 * `ConformanceFailure` naming what was checked, with the difference as `node:assert` words it.
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import { AssertionError, deepStrictEqual } from "node:assert/strict"

/**
 * A guarantee the engine under test broke: `check` says which, `message` how.
 * @since 0.1.0
 * @category errors
 */
export class ConformanceFailure extends Data.TaggedError("ConformanceFailure")<{
  readonly check: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.check}: ${this.detail}`
  }
}

/** A value as JSON gives it back: rows and folds compare as the log holds them (an undefined field is absent). */
const asJson = (value: unknown): unknown => value === undefined ? undefined : JSON.parse(JSON.stringify(value))

/**
 * Fails with a `ConformanceFailure` unless `actual` equals `expected` as JSON values, strictly.
 * @since 0.1.0
 */
export const expectEqual = <A>(check: string, actual: A, expected: A): Effect.Effect<void, ConformanceFailure> =>
  Effect.suspend(() => {
    try {
      deepStrictEqual(asJson(actual), asJson(expected))
      return Effect.void
    } catch (error) {
      if (!(error instanceof AssertionError)) throw error
      return Effect.fail(new ConformanceFailure({ check, detail: error.message }))
    }
  })

/**
 * Fails with a `ConformanceFailure` unless `holds`; `detail` says what was seen instead.
 * @since 0.1.0
 */
export const expectThat = (
  check: string,
  holds: boolean,
  detail: () => string
): Effect.Effect<void, ConformanceFailure> =>
  holds ? Effect.void : Effect.fail(new ConformanceFailure({ check, detail: detail() }))
