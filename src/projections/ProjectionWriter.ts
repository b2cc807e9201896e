/**
 * The write half of projecting, as programs of the statements port: what a thread's rows say its fold state is, and
 * writing folded deltas into every projection in the caller's transaction, each only if its
 * thread's rows are still as the fold planned (another process may have projected meanwhile).
 * @since 0.1.0
 */
import type { ThreadState } from "../domain/ThreadState.js"
import { toolRows } from "./DynamicToolsProjection.js"
import { PROJECTIONS } from "./Projection.js"
import type { Program } from "./Statements.js"
import type { ThreadDelta } from "./ThreadDelta.js"
import { metadataOf, progressOf, type ThreadRow, threadRows } from "./ThreadsProjection.js"
import { turnRows } from "./TurnsProjection.js"

/**
 * A fold to write: `expected` is the thread row the fold started from (`undefined` for a
 * thread that had none); `delta.before` is the state it resumed (`undefined`: from scratch).
 * @since 0.1.0
 * @category models
 */
export interface WriteItem {
  readonly delta: ThreadDelta
  readonly expected: ThreadRow | undefined
}

/**
 * The state these rows hold: metadata, tools and each thread's last turn (all a resumed fold
 * needs; earlier turns are not loaded).
 * @since 0.1.0
 */
export function* loadStates(rows: ReadonlyArray<ThreadRow>): Program<ReadonlyMap<string, ThreadState>> {
  const ids = rows.map((r) => r.id)
  const toolLists = yield* toolRows.load(ids)
  const lastTurns = yield* turnRows.loadLast(ids)
  return new Map(rows.map((row): [string, ThreadState] => [row.id, {
    metadata: metadataOf(row),
    dynamicTools: toolLists.get(row.id) ?? [],
    earlierTurns: [],
    lastTurn: lastTurns.get(row.id) ?? null,
    progress: progressOf(row)
  }]))
}

/**
 * Threads folded from scratch replace their rows: every projection that does not overwrite
 * a thread's rows clears them first, and a row whose file now names another thread (the
 * file was replaced) is deleted with all of its rows.
 */
function* replaceRows(refolded: ReadonlyArray<WriteItem>, existing: ReadonlySet<string>): Program<void> {
  const newIds = new Set(refolded.map((item) => item.delta.after.metadata.id))
  const cleared = [...newIds].filter((id) => existing.has(id))
  const superseded = [
    ...new Set(refolded.flatMap((item) => (item.expected !== undefined ? [item.expected.id] : [])))
  ].filter((id) => !newIds.has(id) && existing.has(id))
  for (const projection of PROJECTIONS) {
    if (superseded.length > 0) yield* projection.clear(superseded)
    if (!projection.overwrites && cleared.length > 0) yield* projection.clear(cleared)
  }
}

/**
 * Writes the items whose thread rows are still as planned, in the caller's transaction, and
 * returns them as `written`; the others are `stale`, to plan again.
 * @since 0.1.0
 */
export function* writeProjections<I extends WriteItem>(
  items: ReadonlyArray<I>
): Program<{ readonly written: ReadonlyArray<I>; readonly stale: ReadonlyArray<I> }> {
  const ids = [
    ...new Set(items.flatMap((item) => [item.delta.after.metadata.id, ...(item.expected ? [item.expected.id] : [])]))
  ]
  const current = yield* threadRows.loadPositions(ids)
  const written: Array<I> = []
  const stale: Array<I> = []
  for (const item of items) {
    const now = current.get(item.expected?.id ?? item.delta.after.metadata.id)
    const expected = item.expected
    const unchanged = expected === undefined
      ? now === undefined || item.delta.before === undefined
      : now !== undefined && now.projected_offset === expected.projected_offset &&
        now.rollout_path === expected.rollout_path
    if (unchanged) written.push(item)
    else stale.push(item)
  }
  yield* replaceRows(written.filter((item) => item.delta.before === undefined), new Set(current.keys()))
  const deltas = written.map((item) => item.delta)
  for (const projection of PROJECTIONS) yield* projection.apply(deltas)
  return { written, stale }
}
