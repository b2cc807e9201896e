/**
 * A patch of a thread's git fields (SPEC §6): each field absent (keep), null (clear) or a
 * non-empty string (set).
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
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

const FIELDS = ["gitSha", "gitBranch", "gitOriginUrl"] as const

/**
 * Why a patch cannot be applied: it changes nothing, or a value is not a non-empty string.
 * @since 0.1.0
 */
export const gitPatchProblem = (patch: GitPatch): string | undefined => {
  const given = FIELDS.filter((field) => patch[field] !== undefined)
  if (given.length === 0) return "empty patch: give at least one of gitSha, gitBranch, gitOriginUrl"
  const invalid = Schema.decodeUnknownEither(GitPatch)(patch)
  return Either.isLeft(invalid) ? `invalid patch: ${invalid.left.message}` : undefined
}

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
