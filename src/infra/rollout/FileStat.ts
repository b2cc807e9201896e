/**
 * One way to ask what is at a path, and the rule that turns it into a thread's placement.
 * @since 0.1.0
 */
import { type Stats, statSync } from "node:fs"
import type { ThreadPlacement } from "../../projections/ThreadDelta.js"
import type { FramingEnd } from "./LineFramer.js"

/**
 * What `path` leads to (links followed), or `undefined` when nothing can be read there: gone,
 * moved meanwhile, unreadable. Synchronous: a promise stat costs a thread-pool round trip
 * (~60 µs here) for a call of a few µs, and callers stat thousands of files in a row.
 * @since 0.1.0
 */
export const fileStat = (path: string): Stats | undefined => {
  try {
    return statSync(path, { throwIfNoEntry: false })
  } catch {
    return undefined
  }
}

/**
 * An archived file's mtime is its archive time: archiving touches the file, and a rebuild reads
 * it back from there (docs/decisions.md, "`archived_at` is the archived file's mtime").
 * @since 0.1.0
 */
export const archivedAtOf = (archived: boolean, mtimeMs: number): number | null => archived ? Math.floor(mtimeMs) : null

/**
 * Where a fold of `file` leaves its thread: the file, how far the fold read, and its size then.
 * @since 0.1.0
 */
export const placementAfterFold = (
  file: { readonly path: string; readonly archived: boolean },
  facts: { readonly size: number; readonly mtimeMs: number },
  end: FramingEnd
): ThreadPlacement => ({
  rolloutPath: file.path,
  archived: file.archived,
  archivedAt: archivedAtOf(file.archived, facts.mtimeMs),
  projectedOffset: end.offset,
  projectedLines: end.nextLineNumber - 1,
  fileSize: facts.size
})
