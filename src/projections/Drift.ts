/**
 * Comparing a projection's rows with what a fresh fold gives (reconcile's drift).
 * @since 0.1.0
 */
import type { ThreadDelta } from "./ThreadDelta.js"

/** JSON equality, for comparing rows with what a fold gives. @since 0.1.0 */
export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/**
 * The threads of `folds` whose `actual` differs from `expected`, flagged with `field`.
 * @since 0.1.0
 */
export const driftOf = <A>(
  folds: ReadonlyArray<ThreadDelta>,
  field: string,
  actual: (threadId: string) => A,
  expected: (fold: ThreadDelta) => A
): ReadonlyMap<string, ReadonlyArray<string>> => {
  const drifted = new Map<string, ReadonlyArray<string>>()
  for (const fold of folds) {
    const id = fold.after.metadata.id
    if (!sameJson(actual(id), expected(fold))) drifted.set(id, [field])
  }
  return drifted
}
