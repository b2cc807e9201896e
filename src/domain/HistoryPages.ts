/**
 * Paginated history (SPEC §1): a file whose first session meta has `history_mode: "paginated"`
 * and a `history_base` continues the thread that base names, and the thread is the union of
 * its files, in order. Which thread a meta belongs to and the order of a thread's files live here.
 * @since 0.1.0
 */
import type { SessionMeta } from "./RolloutItem.js"

/**
 * Whether the meta opens a page continuing an existing thread.
 * @since 0.1.0
 */
export const continuesThread = (meta: SessionMeta): boolean =>
  meta.history_mode === "paginated" && meta.history_base != null && meta.history_base.thread_id !== ""

/**
 * The thread a session meta belongs to: a continuing page's is the one its base names (its own
 * `id` may be the new page's).
 * @since 0.1.0
 */
export const sessionMetaThreadId = (meta: SessionMeta): string =>
  continuesThread(meta) ? meta.history_base!.thread_id : meta.id

/**
 * One file of a thread, as its order needs it.
 * @since 0.1.0
 * @category models
 */
export interface HistoryFile {
  /** The file's base name: a page keeps it wherever it moves (archive, unarchive). */
  readonly name: string
  readonly continuation: boolean
  /** The creation time in its name (local time, `parseRolloutFileName`), when it has one. */
  readonly nameTimestamp: number | undefined
}

/**
 * The order of a thread's files: the file that starts it, then its continuing pages by the
 * creation time in their names, then by name. A function of the files alone, so that a live fold
 * and a rebuild agree on it.
 * @since 0.1.0
 */
export const compareHistoryFiles = (a: HistoryFile, b: HistoryFile): number => {
  if (a.continuation !== b.continuation) return a.continuation ? 1 : -1
  const at = a.nameTimestamp ?? 0
  const bt = b.nameTimestamp ?? 0
  if (at !== bt) return at - bt
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}
