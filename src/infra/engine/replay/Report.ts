/**
 * What a replay run reports: its progress after every batch, and the problems it met (files
 * skipped or failed, lines that did not parse), bounded so output stays small.
 * @since 0.1.0
 */
import type { SkippedFile } from "../../rollout/RolloutFiles.js"
import type { ReadIssue } from "../../rollout/RolloutIssue.js"
import type { FileOutcome } from "../ThreadProjector.js"
import type { BackfillStatus } from "./BackfillState.js"

/**
 * A reported problem: a file skipped or failed (`line` null), or one line of a file.
 * @since 0.1.0
 * @category models
 */
export interface Problem {
  readonly file: string
  readonly line: number | null
  readonly reason: string
}

/** Problems a report lists; the rest are counted in `problemsOmitted`, so output stays bounded. @since 0.1.0 */
export const MAX_PROBLEMS = 200

/** @since 0.1.0 */
export const issueProblem = (issue: ReadIssue): Problem => ({
  file: issue.file,
  line: issue.lineNumber,
  // The message is `file:line: reason`; the place has fields of its own here.
  reason: issue.message.slice(`${issue.file}:${issue.lineNumber}: `.length)
})

/**
 * Problems in the order reported, at most `MAX_PROBLEMS` kept.
 * @since 0.1.0
 */
export const problemList = (initial: ReadonlyArray<Problem> = []) => {
  const problems: Array<Problem> = []
  let omitted = 0
  const add = (problem: Problem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem)
    else omitted++
  }
  for (const problem of initial) add(problem)
  return {
    add,
    /** Problems counted but not given (a fold keeps only its first issues). */
    omit: (count: number) => {
      omitted += count
    },
    snapshot: (): { readonly problems: ReadonlyArray<Problem>; readonly problemsOmitted: number } => ({
      problems: [...problems],
      problemsOmitted: omitted
    })
  }
}

/** @since 0.1.0 */
export const skippedProblem = (skipped: SkippedFile): Problem => ({
  file: skipped.path,
  line: null,
  reason: skipped.reason
})

/**
 * Where a run stands, reported after every batch (a safe point: what it says is committed).
 * @since 0.1.0
 * @category models
 */
export interface BatchProgress {
  readonly total: number
  readonly scanned: number
  readonly upserted: number
  readonly unchanged: number
  readonly failed: number
  readonly parseErrors: number
  readonly watermark: string | null
  /** Skipped files, failed files and line issues so far. */
  readonly problems: ReadonlyArray<Problem>
  readonly problemsOmitted: number
}

/**
 * The summary of a run (`backfill --json` prints `scanned, upserted, failed, parseErrors,
 * status`).
 * @since 0.1.0
 * @category models
 */
export interface BackfillReport extends BatchProgress {
  readonly status: BackfillStatus | "running-elsewhere"
  readonly skippedFiles: ReadonlyArray<SkippedFile>
  readonly failures: ReadonlyArray<Extract<FileOutcome, { _tag: "Failed" }>>
  readonly issues: ReadonlyArray<string>
}

/** @since 0.1.0 */
export interface RunOptions {
  readonly onProgress?: (progress: BatchProgress) => void
  /** Stop after this many batches, leaving the run resumable (for tests and demos). */
  readonly maxBatches?: number
}
