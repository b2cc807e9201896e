/**
 * A patch of a thread's metadata without resuming it (SPEC §6, §11): the git fields, the
 * user-given `name` and the `memoryMode`, each absent (keep), null (clear) or a value (set),
 * and the rollout items that record it, so that the fold applies it and a rebuild keeps it.
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import { applyGitPatch, gitInfoOf, GitPatch } from "./GitPatch.js"
import type { EventMsgItem, SessionMeta, SessionMetaItem } from "./RolloutItem.js"
import type { ThreadMetadata } from "./ThreadState.js"

const NonBlank = Schema.String.pipe(Schema.filter((s) => s.trim() !== "", { message: () => "blank" }))

/**
 * @since 0.1.0
 * @category schemas
 */
export const MetadataPatch = Schema.Struct({
  ...GitPatch.fields,
  name: Schema.optional(Schema.NullOr(NonBlank)),
  memoryMode: Schema.optional(Schema.NullOr(Schema.NonEmptyString))
})

/** @since 0.1.0 */
export type MetadataPatch = typeof MetadataPatch.Type

const FIELDS = ["gitSha", "gitBranch", "gitOriginUrl", "name", "memoryMode"] as const

/**
 * Why a patch cannot be applied: it changes nothing, or a value is not a non-empty string.
 * @since 0.1.0
 */
export const metadataPatchProblem = (patch: MetadataPatch): string | undefined => {
  const given = FIELDS.filter((field) => patch[field] !== undefined)
  if (given.length === 0) return `empty patch: give at least one of ${FIELDS.join(", ")}`
  const invalid = Schema.decodeUnknownEither(MetadataPatch)(patch)
  return Either.isLeft(invalid) ? `invalid patch: ${invalid.left.message}` : undefined
}

/**
 * The lines recording the patch, as the reference records each field: git and memory mode in
 * a copy of the thread's last session meta (`meta`) holding the resulting values, a name in a
 * `thread_name_updated` event (`thread_name: null` clears it). `current` is the thread's
 * metadata the patch applies to.
 * @since 0.1.0
 */
export const metadataPatchItems = (
  patch: MetadataPatch,
  current: ThreadMetadata,
  meta: SessionMeta,
  timestamp: string
): Array<SessionMetaItem | EventMsgItem> => {
  const items: Array<SessionMetaItem | EventMsgItem> = []
  const touchesGit = patch.gitSha !== undefined || patch.gitBranch !== undefined || patch.gitOriginUrl !== undefined
  if (touchesGit || patch.memoryMode !== undefined) {
    const payload: SessionMeta = {
      ...meta,
      ...(touchesGit ? { git: gitInfoOf(applyGitPatch(current, patch)) } : {}),
      ...(patch.memoryMode === undefined ? {} : { memory_mode: patch.memoryMode })
    }
    items.push({ type: "session_meta", timestamp, payload })
  }
  if (patch.name !== undefined) {
    const thread_name = patch.name === null ? null : patch.name.trim()
    items.push({
      type: "event_msg",
      timestamp,
      payload: { type: "thread_name_updated", thread_id: current.id, thread_name }
    })
  }
  return items
}

/**
 * The patched fields' values after the patch: what the fold of its items gives.
 * @since 0.1.0
 */
export const applyMetadataPatch = (
  current: Pick<ThreadMetadata, "gitSha" | "gitBranch" | "gitOriginUrl" | "name" | "memoryMode">,
  patch: MetadataPatch
): Pick<ThreadMetadata, "gitSha" | "gitBranch" | "gitOriginUrl" | "name" | "memoryMode"> => ({
  ...applyGitPatch(current, patch),
  name: patch.name === undefined ? current.name : patch.name === null ? null : patch.name.trim(),
  memoryMode: patch.memoryMode === undefined ? current.memoryMode : patch.memoryMode
})
