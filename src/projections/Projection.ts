/**
 * What every projection table is to the engine: how a fold's deltas land in it, how a
 * thread's rows leave it, how a rebuild empties it, and how its rows drift from a fresh
 * fold. `PROJECTIONS` is the one list of them: the projector writes, rebuild resets,
 * reconcile and verify compare exactly these.
 * @since 0.1.0
 */
import { dynamicToolsProjection } from "./DynamicToolsProjection.js"
import { messagesProjection } from "./MessagesProjection.js"
import { spawnEdgesProjection } from "./SpawnEdgesProjection.js"
import type { Program } from "./Statements.js"
import type { ThreadDelta } from "./ThreadDelta.js"
import { threadsProjection } from "./ThreadsProjection.js"
import { turnsProjection } from "./TurnsProjection.js"

/**
 * A table verify compares row by row: its key, and the columns compared (default all).
 * @since 0.1.0
 * @category models
 */
export interface ComparedTable {
  readonly table: string
  readonly key: ReadonlyArray<string>
  readonly columns?: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Projection {
  readonly table: string
  /** The columns that identify a row (what verify reports a difference by). */
  readonly key: ReadonlyArray<string>
  /**
   * Whether `apply` rewrites a thread's whole row set from the state alone, so a thread folded
   * again from scratch need not be cleared first (the `threads` row: overwritten in place, so
   * operational state keyed on it survives).
   */
  readonly overwrites: boolean
  /** What verify compares (default: `table` by `key`, every column). */
  readonly compared?: ReadonlyArray<ComparedTable>
  /** Writes what each delta changed, given `before` is what the rows hold. */
  readonly apply: (deltas: ReadonlyArray<ThreadDelta>) => Program<void>
  /** Deletes these threads' rows. */
  readonly clear: (threadIds: ReadonlyArray<string>) => Program<void>
  /**
   * Before a rebuild: leaves the table holding nothing folded, of the threads the condition
   * `own` on `threads` selects when given (a host's own in a database hosts share), else of all.
   */
  readonly reset: (own?: string) => Program<void>
  /**
   * For each delta whose thread has rows here, the names of the fields (as hosts see them) in
   * which the rows differ from `after` placed at `placement` (a fresh fold of the thread's file).
   */
  readonly drift: (folds: ReadonlyArray<ThreadDelta>) => Program<ReadonlyMap<string, ReadonlyArray<string>>>
}

/**
 * Every projection table, `threads` first (the others reference it).
 * @since 0.1.0
 */
export const PROJECTIONS: ReadonlyArray<Projection> = [
  threadsProjection,
  dynamicToolsProjection,
  turnsProjection,
  spawnEdgesProjection,
  messagesProjection
]

/**
 * The tables verify compares, for every projection.
 * @since 0.1.0
 */
export const COMPARED_TABLES: ReadonlyArray<ComparedTable> = PROJECTIONS.flatMap((p) => p.compared ?? [p])
