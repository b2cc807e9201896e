/**
 * Failures of the engine API a host can act on.
 * @since 0.1.0
 */
import { Effect, Either, Schema } from "effect"
import { parseThreadId, type ThreadId } from "../../domain/ThreadId.js"
import type { HomeNotFound } from "../rollout/RolloutFiles.js"
import type { RolloutReadError } from "../rollout/RolloutIssue.js"
import type { RolloutWriteError } from "../rollout/RolloutStore.js"
import type { DatabaseError } from "../sql/SqlDatabase.js"

/**
 * No row and no rollout file for this thread id.
 * @since 0.1.0
 * @category errors
 */
export class ThreadNotFound extends Schema.TaggedError<ThreadNotFound>()("ThreadNotFound", {
  threadId: Schema.String
}) {
  override get message(): string {
    return `thread ${this.threadId}: no rollout file and no row`
  }
}

/**
 * Items given to `append` or `createThread` that cannot be written.
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  what: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.what}: ${this.reason}`
  }
}

/**
 * A file was written but could not be projected (its thread is caught up on next open).
 * @since 0.1.0
 * @category errors
 */
export class ProjectionFailed extends Schema.TaggedError<ProjectionFailed>()("ProjectionFailed", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.file}: not projected: ${this.reason}`
  }
}

/**
 * The id when it is a thread id (SPEC §12), else `InvalidInput` naming it: every entry that
 * takes an id runs this before it touches a file or a row.
 * @since 0.1.0
 */
export const validThreadId = (id: unknown, what = "thread id"): Effect.Effect<ThreadId, InvalidInput> =>
  Either.match(parseThreadId(id), {
    onLeft: (reason) => Effect.fail(new InvalidInput({ what, reason })),
    onRight: Effect.succeed
  })

/** Every failure an engine operation can end with. @since 0.1.0 */
export type EngineError =
  | DatabaseError
  | HomeNotFound
  | RolloutReadError
  | RolloutWriteError
  | ThreadNotFound
  | InvalidInput
  | ProjectionFailed
