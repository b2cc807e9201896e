/**
 * Git facts a session records about its working tree.
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * `git` in `session_meta`; every member may be missing (`{}` is seen in the wild).
 * @since 0.1.0
 * @category schemas
 */
export const GitInfo = Schema.Struct({
  commit_hash: Schema.optional(Schema.NullOr(Schema.String)),
  branch: Schema.optional(Schema.NullOr(Schema.String)),
  repository_url: Schema.optional(Schema.NullOr(Schema.String))
})

/** @since 0.1.0 */
export type GitInfo = typeof GitInfo.Type

/**
 * The three git columns of a thread.
 * @since 0.1.0
 */
export interface GitColumns {
  readonly gitSha: string | null
  readonly gitBranch: string | null
  readonly gitOriginUrl: string | null
}

/** @since 0.1.0 */
export const gitColumns = (git: GitInfo): GitColumns => ({
  gitSha: git.commit_hash ?? null,
  gitBranch: git.branch ?? null,
  gitOriginUrl: git.repository_url ?? null
})
