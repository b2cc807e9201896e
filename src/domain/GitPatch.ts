/**
 * A patch of a thread's git fields (SPEC §6): each field absent (keep), null (clear) or a
 * non-empty string (set).
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { GitColumns, GitInfo } from "./GitInfo.js"

const GitValue = Schema.optional(Schema.NullOr(Schema.NonEmptyString))

/**
 * @since 0.1.0
 * @category schemas
 */
export const GitPatch = Schema.Struct({
  gitSha: GitValue,
  gitBranch: GitValue,
  gitOriginUrl: GitValue
})

/** @since 0.1.0 */
export type GitPatch = typeof GitPatch.Type

/**
 * The git fields after the patch.
 * @since 0.1.0
 */
export const applyGitPatch = (current: GitColumns, patch: GitPatch): GitColumns => ({
  gitSha: patch.gitSha === undefined ? current.gitSha : patch.gitSha,
  gitBranch: patch.gitBranch === undefined ? current.gitBranch : patch.gitBranch,
  gitOriginUrl: patch.gitOriginUrl === undefined ? current.gitOriginUrl : patch.gitOriginUrl
})

/**
 * The `git` object of a session meta that sets exactly these fields (nulls clear).
 * @since 0.1.0
 */
export const gitInfoOf = (columns: GitColumns): GitInfo => ({
  commit_hash: columns.gitSha,
  branch: columns.gitBranch,
  repository_url: columns.gitOriginUrl
})
