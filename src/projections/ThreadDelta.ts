/**
 * What one fold step changed for one thread: the input every projection's `apply` takes.
 * @since 0.1.0
 */
import type { ThreadMessage } from "../domain/ThreadMessages.js"
import type { ThreadState } from "../domain/ThreadState.js"

/**
 * A file a thread's fold read before its current one (paginated history, SPEC §1), and its
 * size when folded: one that changed since has the thread folded again from its first file.
 * @since 0.1.0
 * @category models
 */
export interface EarlierFile {
  readonly path: string
  readonly size: number
  /** Its complete lines, as folded: where the lines of the next file count from. */
  readonly lines: number
}

/**
 * Where a thread's log lives and how far it has been folded: `rolloutPath` is the file appends
 * go to (its last page), `earlierFiles` the pages before it, in order (absent: none).
 * @since 0.1.0
 * @category models
 */
export interface ThreadPlacement {
  readonly rolloutPath: string
  readonly archived: boolean
  readonly archivedAt: number | null
  /** Bytes of complete lines folded so far, and their count. */
  readonly projectedOffset: number
  readonly projectedLines: number
  /** The file's size when it was folded (compressed size for `.zst`). */
  readonly fileSize: number
  readonly earlierFiles?: ReadonlyArray<EarlierFile> | undefined
}

/**
 * A thread's state before (as projected; `undefined` when it has no rows yet) and after.
 * `before` is what the rows hold: its earlier turns are not loaded, only its last one.
 * @since 0.1.0
 * @category models
 */
export interface ThreadDelta {
  readonly before: ThreadState | undefined
  readonly after: ThreadState
  readonly placement: ThreadPlacement
  /**
   * The messages the fold read after `before` (all of them from scratch), for the search
   * index; carried beside the state, never in it, so no thread's text outlives its write.
   */
  readonly messages?: ReadonlyArray<ThreadMessage>
}
