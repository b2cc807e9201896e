/**
 * Backfill (SPEC §4): project every rollout of a home in batches, in watermark order,
 * checkpointing after each batch so an interrupted run resumes where it stopped.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Clock, Effect, Schema } from "effect"
import { hostname } from "node:os"
import { type HomeNotFound, listRolloutFiles, type RolloutFile, type SkippedFile } from "../../rollout/RolloutFiles.js"
import type { ReadIssue } from "../../rollout/RolloutIssue.js"
import { yieldToEventLoop } from "../../rollout/RolloutReader.js"
import { Database, type DatabaseError, mapDatabaseError } from "../../sqlite/Database.js"
import { EngineConfig } from "../EngineConfig.js"
import type { FileOutcome, FileTarget } from "../ThreadProjector.js"
import { ThreadProjector } from "../ThreadProjector.js"

/** @since 0.1.0 */
export type BackfillStatus = "pending" | "running" | "complete"

/** @since 0.1.0 @category schemas */
export const BackfillStateRow = Schema.Struct({
  status: Schema.Literal("pending", "running", "complete"),
  last_watermark: Schema.NullOr(Schema.String),
  last_success_at_ms: Schema.NullOr(Schema.Number),
  updated_at_ms: Schema.Number,
  owner: Schema.NullOr(Schema.String)
})

/** @since 0.1.0 */
export type BackfillState = typeof BackfillStateRow.Type

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

const MAX_ISSUES = 200

/** This process, as a backfill owner. */
const OWNER = `pid:${process.pid}:${hostname()}`

/** Whether a claim's process still runs (only knowable on this host; elsewhere the lease decides). */
const ownerAlive = (owner: string): boolean => {
  const match = /^pid:(\d+):(.*)$/.exec(owner)
  if (match === null || match[2] !== hostname()) return true
  try {
    process.kill(Number(match[1]), 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Projects `files` in batches and tallies what happened. */
export const projectInBatches = (
  files: ReadonlyArray<RolloutFile>,
  from: "rows" | "scratch",
  options: RunOptions & {
    readonly afterBatch?: (last: RolloutFile) => Effect.Effect<void, DatabaseError, Database>
    readonly skipped?: ReadonlyArray<SkippedFile>
  }
) =>
  Effect.gen(function*() {
    const config = yield* EngineConfig
    const projector = yield* ThreadProjector
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

/** @since 0.1.0 */
export const readBackfillState = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows =
    yield* sql`SELECT status, last_watermark, last_success_at_ms, updated_at_ms, owner FROM backfill_state WHERE id = 1`
  return yield* Schema.decodeUnknown(BackfillStateRow)(rows[0]).pipe(Effect.orDie)
}).pipe(mapDatabaseError("read backfill state"))

/** The part of a backfill that runs under a claim. */
const claimedRun = (lastWatermark: string | null, options: RunOptions) =>
  Effect.gen(function*() {
    const config = yield* EngineConfig
    const sql = yield* SqlClient.SqlClient
    const listing = yield* listRolloutFiles(config.home)
    const after = lastWatermark
    const files = after === null ? listing.files : listing.files.filter((f) => f.relativePath > after)
    const { failures, issues, progress, stopped } = yield* projectInBatches(files, "rows", {
      ...options,
      skipped: listing.skipped,
      afterBatch: (last) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) =>
          sql`UPDATE backfill_state SET status = 'running', last_watermark = ${last.relativePath}, updated_at_ms = ${at} WHERE id = 1`)
          .pipe(Effect.asVoid, mapDatabaseError("checkpoint backfill"))
    })
    const at = yield* Clock.currentTimeMillis
    // A run stopped on purpose gives its claim back; the watermark keeps its progress.
    yield* sql`UPDATE backfill_state SET status = ${
      stopped ? "pending" : "complete"
    }, owner = NULL, updated_at_ms = ${at},
               last_success_at_ms = ${
      stopped ? null : at
    }, last_watermark = COALESCE(${progress.watermark}, last_watermark)
               WHERE id = 1`.pipe(mapDatabaseError("finish backfill"))
    return {
      ...progress,
      status: stopped ? "pending" : "complete",
      skippedFiles: listing.skipped,
      failures,
      issues
    } satisfies BackfillReport
  })

/**
 * Runs a backfill if none is complete: claims it (a stale claim of a crashed process is
 * taken over), resumes after `last_watermark`, checkpoints per batch, marks it complete.
 * `restart` first resets a complete backfill so a new scan picks up files added since.
 * @since 0.1.0
 */
export const runBackfill = (options: RunOptions & { readonly restart?: boolean } = {}) =>
  Effect.gen(function*() {
    const config = yield* EngineConfig
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    if (options.restart) {
      yield* sql`UPDATE backfill_state SET status = 'pending', last_watermark = NULL, updated_at_ms = ${now}
                 WHERE id = 1 AND status = 'complete'`.pipe(mapDatabaseError("restart backfill"))
    }
    const current = yield* readBackfillState
    const takeOver = current.status === "running" && current.owner !== null && !ownerAlive(current.owner)
    const claimed = yield* sql`UPDATE backfill_state SET status = 'running', updated_at_ms = ${now}, owner = ${OWNER}
      WHERE id = 1 AND status != 'complete'
        AND (status != 'running' OR updated_at_ms <= ${now - config.backfillLeaseMs}
             OR (${takeOver ? 1 : 0} = 1 AND owner = ${current.owner}))
      RETURNING last_watermark`.pipe(mapDatabaseError("claim backfill"))
    const state = yield* readBackfillState
    const empty = {
      total: 0,
      scanned: 0,
      upserted: 0,
      unchanged: 0,
      failed: 0,
      parseErrors: 0,
      watermark: state.last_watermark,
      problems: [],
      problemsOmitted: 0
    }
    if (claimed.length === 0) {
      return {
        ...empty,
        status: state.status === "complete" ? "complete" : "running-elsewhere",
        skippedFiles: [],
        failures: [],
        issues: []
      } satisfies BackfillReport
    }
    const release = sql`UPDATE backfill_state SET status = 'pending', owner = NULL WHERE id = 1 AND owner = ${OWNER}`
    return yield* Effect.onExit(claimedRun(state.last_watermark, options), (exit) =>
      exit._tag === "Failure" ? Effect.ignore(release) : Effect.void)
  }) as Effect.Effect<
    BackfillReport,
    DatabaseError | HomeNotFound,
    EngineConfig | SqlClient.SqlClient | Database | ThreadProjector
  >

/**
 * Drops every projection row but the thread rows themselves, which are reset to "nothing
 * folded" so that operational state keyed on a thread (memory, goals) survives the rebuild.
 * A rebuild killed midway leaves reset rows that catch-up folds from scratch, and a pending
 * backfill that finds files not yet replayed.
 */
const resetProjections = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const { direct } = yield* Database
  // A COMMIT that fails (disk full) is a typed failure of `direct.transaction`, a defect of `sql.withTransaction`.
  yield* direct.transaction(Effect.gen(function*() {
    yield* sql`DELETE FROM thread_turns`
    yield* sql`DELETE FROM thread_dynamic_tools`
    yield* sql`DELETE FROM thread_spawn_edges`
    yield* sql`UPDATE threads SET projected_offset = 0, projected_lines = 0, file_size = -1`
    yield* sql`UPDATE backfill_state SET status = 'pending', last_watermark = NULL WHERE id = 1 AND status = 'complete'`
  }))
}).pipe(mapDatabaseError("clear projections"))

/**
 * Rebuild (SPEC §4): drop every projection row and replay every file; operational state is
 * untouched, except that the backfill is complete afterwards.
 * @since 0.1.0
 */
export const runRebuild = (options: RunOptions = {}) =>
  Effect.gen(function*() {
    const config = yield* EngineConfig
    const sql = yield* SqlClient.SqlClient
    const listing = yield* listRolloutFiles(config.home)
    yield* resetProjections
    const { failures, issues, progress, stopped } = yield* projectInBatches(listing.files, "scratch", {
      ...options,
      skipped: listing.skipped
    })
    if (stopped) {
      return {
        ...progress,
        status: "pending",
        skippedFiles: listing.skipped,
        failures,
        issues
      } satisfies BackfillReport
    }
    const at = yield* Clock.currentTimeMillis
    yield* (yield* Database).direct.transaction(Effect.gen(function*() {
      // Rows no file claimed (file gone or unreadable) are what a replay does not produce.
      yield* sql`DELETE FROM threads WHERE file_size = -1`
      yield* sql`UPDATE backfill_state SET status = 'complete', owner = NULL, last_success_at_ms = ${at}, updated_at_ms = ${at},
                 last_watermark = ${progress.watermark} WHERE id = 1`
    })).pipe(mapDatabaseError("complete rebuild"))
    return { ...progress, status: "complete", skippedFiles: listing.skipped, failures, issues } satisfies BackfillReport
  })
