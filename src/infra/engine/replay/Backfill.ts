/**
 * Backfill (SPEC §4): project every rollout of a home in batches, in watermark order,
 * checkpointing after each batch so an interrupted run resumes where it stopped.
 * @since 0.1.0
 */
import { Effect } from "effect"
import { type HomeNotFound, listRolloutFiles, type RolloutFile, type SkippedFile } from "../../rollout/RolloutFiles.js"
import { yieldToEventLoop } from "../../rollout/RolloutReader.js"
import type { DatabaseError } from "../../sql/SqlDatabase.js"
import { EngineConfig } from "../EngineConfig.js"
import type { FileOutcome, FileTarget } from "../ThreadProjector.js"
import { ThreadProjector } from "../ThreadProjector.js"
import * as BackfillState from "./BackfillState.js"
import {
  type BackfillReport,
  type BatchProgress,
  issueProblem,
  problemList,
  type RunOptions,
  skippedProblem
} from "./Report.js"

const MAX_ISSUES = 200

/** What projecting a list of files in batches did. */
export interface BatchesOutcome {
  readonly progress: BatchProgress
  readonly failures: ReadonlyArray<Extract<FileOutcome, { _tag: "Failed" }>>
  readonly issues: ReadonlyArray<string>
  /** Whether `maxBatches` stopped it before the last file. */
  readonly stopped: boolean
}

/**
 * Projects files in batches of the configured size and tallies what happened; `afterBatch`
 * runs with each batch's last file, in the same uninterruptible step as the batch.
 * @since 0.1.0
 */
export const makeBatches = Effect.gen(function*() {
  const config = yield* EngineConfig
  const projector = yield* ThreadProjector
  return (
    files: ReadonlyArray<RolloutFile>,
    from: "rows" | "scratch",
    options: RunOptions & {
      readonly afterBatch?: (last: RolloutFile) => Effect.Effect<void, DatabaseError>
      readonly skipped?: ReadonlyArray<SkippedFile>
    }
  ): Effect.Effect<BatchesOutcome, DatabaseError> =>
    Effect.gen(function*() {
      const progress = {
        total: files.length,
        scanned: 0,
        upserted: 0,
        unchanged: 0,
        failed: 0,
        parseErrors: 0,
        watermark: null as string | null
      }
      const failures: Array<Extract<FileOutcome, { _tag: "Failed" }>> = []
      const issues: Array<string> = []
      const problems = problemList((options.skipped ?? []).map(skippedProblem))
      let batches = 0
      let stopped = false
      for (let i = 0; i < files.length; i += config.batchSize) {
        // Small files fold without an event-loop turn: give one, so a signal's handler can run.
        if (i > 0) yield* yieldToEventLoop
        if (options.maxBatches !== undefined && batches >= options.maxBatches) {
          stopped = true
          break
        }
        const batch = files.slice(i, i + config.batchSize)
        const targets: Array<FileTarget> = batch.map((f) => ({ path: f.path, archived: f.archived }))
        const last = batch[batch.length - 1]!
        // A signal lands between batches: a batch's rows and its checkpoint are written together.
        const outcomes = yield* Effect.uninterruptible(Effect.tap(
          projector.project(targets, { from, defaultModelProvider: config.defaultModelProvider }),
          () => options.afterBatch ? options.afterBatch(last) : Effect.void
        ))
        for (const outcome of outcomes) {
          progress.scanned++
          if (outcome._tag === "Unchanged") progress.unchanged++
          else if (outcome._tag === "Failed") {
            progress.failed++
            failures.push(outcome)
            problems.add({ file: outcome.path, line: null, reason: outcome.reason })
          } else {
            progress.upserted++
            progress.parseErrors += outcome.counts.parseErrors
            for (const issue of outcome.issues) {
              if (issues.length < MAX_ISSUES) issues.push(issue.message)
              problems.add(issueProblem(issue))
            }
            problems.omit(outcome.counts.parseErrors + outcome.counts.warnings - outcome.issues.length)
          }
        }
        progress.watermark = last.relativePath
        batches++
        options.onProgress?.({ ...progress, ...problems.snapshot() })
      }
      return { progress: { ...progress, ...problems.snapshot() }, failures, issues, stopped }
    })
})

/**
 * The backfill: runs if none is complete, claiming it (a stale claim of a crashed process is
 * taken over), resumes after `last_watermark`, checkpoints per batch, marks it complete.
 * `restart` first resets a complete backfill so a new scan picks up files added since.
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const state = yield* BackfillState.make
  const inBatches = yield* makeBatches

  /** The part of a backfill that runs under a claim. */
  const claimedRun = (after: string | null, options: RunOptions) =>
    Effect.gen(function*() {
      const listing = yield* listRolloutFiles(config.home)
      const files = after === null ? listing.files : listing.files.filter((f) => f.relativePath > after)
      const { failures, issues, progress, stopped } = yield* inBatches(files, "rows", {
        ...options,
        skipped: listing.skipped,
        afterBatch: (last) => state.checkpoint(last.relativePath)
      })
      yield* state.finish({ stopped, watermark: progress.watermark })
      return {
        ...progress,
        status: stopped ? "pending" : "complete",
        skippedFiles: listing.skipped,
        failures,
        issues
      } satisfies BackfillReport
    })

  return (options: RunOptions & { readonly restart?: boolean } = {}): Effect.Effect<
    BackfillReport,
    DatabaseError | HomeNotFound
  > =>
    Effect.gen(function*() {
      if (options.restart) yield* state.restart
      const claimed = yield* state.claim(config.backfillLeaseMs)
      const current = yield* state.read
      if (!claimed) {
        return {
          total: 0,
          scanned: 0,
          upserted: 0,
          unchanged: 0,
          failed: 0,
          parseErrors: 0,
          watermark: current.last_watermark,
          problems: [],
          problemsOmitted: 0,
          status: current.status === "complete" ? "complete" : "running-elsewhere",
          skippedFiles: [],
          failures: [],
          issues: []
        } satisfies BackfillReport
      }
      return yield* Effect.onExit(
        claimedRun(current.last_watermark, options),
        (exit) => exit._tag === "Failure" ? Effect.ignore(state.release) : Effect.void
      )
    })
})
