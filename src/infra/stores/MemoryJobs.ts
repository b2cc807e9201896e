/**
 * Memory jobs (SPEC §8) over `jobs` and `stage1_outputs`: phase-1 selection and per-thread
 * claims, the phase-2 global lock, heartbeats and finalisation. Every transition reads its row,
 * applies the pure rule of `domain/MemoryJobs` and writes the result inside one transaction
 * holding the memory jobs' lock (`SqlDatabase.exclusive`: SQLite's `BEGIN IMMEDIATE`, an
 * advisory lock on PostgreSQL), so two processes or hosts sharing the database never both win.
 * On PostgreSQL (READ COMMITTED) neither a conditional UPDATE nor `SELECT … FOR UPDATE` would
 * do: a claim may insert a row that does not exist yet (nothing to lock), and it counts the
 * running jobs of other threads (the concurrency cap), which no row lock covers.
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import {
  type Claimant,
  claimPhase2,
  claimStage1,
  cooldownEnd,
  defaultPhase2Selection,
  defaultPolicy,
  defaultSelection,
  enqueuePhase2,
  fail,
  failIfUnowned,
  heartbeat,
  Job,
  JobStatus,
  type MemoryJobPolicy,
  PHASE2_KEY,
  PHASE2_KIND,
  type Phase2ClaimOutcome,
  type Phase2Selection,
  STAGE1_KIND,
  type Stage1ClaimOutcome,
  type Stage1Selection,
  succeed
} from "../../domain/MemoryJobs.js"
import { InvalidInput, validThreadId } from "../engine/EngineError.js"
import { type DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import { storeFailure } from "./StoreFailure.js"

/**
 * A heartbeat or finalise by a worker that does not own the job (another claimed it, its
 * lease expired, or it already finished); nothing was changed.
 * @since 0.1.0
 * @category errors
 */
export class JobNotOwned extends Schema.TaggedError<JobNotOwned>()("JobNotOwned", {
  kind: Schema.String,
  key: Schema.String,
  operation: Schema.String
}) {
  override get message(): string {
    return `jobs: ${this.operation}: ${this.kind}/${this.key} is not owned by this token (lease lost or job finished)`
  }
}

const JobRow = Schema.Struct({
  kind: Schema.String,
  job_key: Schema.String,
  status: JobStatus,
  worker_id: Schema.NullOr(Schema.String),
  ownership_token: Schema.NullOr(Schema.String),
  started_at_ms: Schema.NullOr(Schema.Int),
  finished_at_ms: Schema.NullOr(Schema.Int),
  lease_until_ms: Schema.NullOr(Schema.Int),
  retry_at_ms: Schema.NullOr(Schema.Int),
  retry_remaining: Schema.NonNegativeInt,
  last_error: Schema.NullOr(Schema.String),
  input_watermark: Schema.NullOr(Schema.Int),
  last_success_watermark: Schema.NullOr(Schema.Int)
})

/**
 * A `jobs` row decoded to a `Job`.
 * @since 0.1.0
 * @category schemas
 */
export const JobFromRow = Schema.transform(JobRow, Job, {
  strict: true,
  decode: (row) => ({
    kind: row.kind,
    key: row.job_key,
    status: row.status,
    workerId: row.worker_id,
    ownershipToken: row.ownership_token,
    startedAt: row.started_at_ms,
    finishedAt: row.finished_at_ms,
    leaseUntil: row.lease_until_ms,
    retryAt: row.retry_at_ms,
    retryRemaining: row.retry_remaining,
    lastError: row.last_error,
    inputWatermark: row.input_watermark,
    lastSuccessWatermark: row.last_success_watermark
  }),
  encode: (job) => ({
    kind: job.kind,
    job_key: job.key,
    status: job.status,
    worker_id: job.workerId,
    ownership_token: job.ownershipToken,
    started_at_ms: job.startedAt,
    finished_at_ms: job.finishedAt,
    lease_until_ms: job.leaseUntil,
    retry_at_ms: job.retryAt,
    retry_remaining: job.retryRemaining,
    last_error: job.lastError,
    input_watermark: job.inputWatermark,
    last_success_watermark: job.lastSuccessWatermark
  })
})

/**
 * A thread's stage-1 output.
 * @since 0.1.0
 * @category schemas
 */
export const Stage1Output = Schema.Struct({
  threadId: Schema.String,
  sourceUpdatedAt: Schema.Int,
  rawMemory: Schema.String,
  rolloutSummary: Schema.String,
  rolloutSlug: Schema.NullOr(Schema.String),
  generatedAt: Schema.Int,
  selectedForPhase2: Schema.Boolean
})

/** @since 0.1.0 */
export type Stage1Output = typeof Stage1Output.Type

const Stage1OutputFromRow = Schema.transform(
  Schema.Struct({
    thread_id: Schema.String,
    source_updated_at_ms: Schema.Int,
    raw_memory: Schema.String,
    rollout_summary: Schema.String,
    rollout_slug: Schema.NullOr(Schema.String),
    generated_at_ms: Schema.Int,
    selected_for_phase2: Schema.Int
  }),
  Stage1Output,
  {
    strict: true,
    decode: (row) => ({
      threadId: row.thread_id,
      sourceUpdatedAt: row.source_updated_at_ms,
      rawMemory: row.raw_memory,
      rolloutSummary: row.rollout_summary,
      rolloutSlug: row.rollout_slug,
      generatedAt: row.generated_at_ms,
      selectedForPhase2: row.selected_for_phase2 !== 0
    }),
    encode: (output) => ({
      thread_id: output.threadId,
      source_updated_at_ms: output.sourceUpdatedAt,
      raw_memory: output.rawMemory,
      rollout_summary: output.rolloutSummary,
      rollout_slug: output.rolloutSlug,
      generated_at_ms: output.generatedAt,
      selected_for_phase2: output.selectedForPhase2 ? 1 : 0
    })
  }
)

/**
 * A thread selected for phase 1, with the source time a claim is made for.
 * @since 0.1.0
 * @category models
 */
export interface Stage1Thread {
  readonly threadId: string
  readonly updatedAt: number
  readonly cwd: string
  readonly rolloutPath: string
}

/** A claimed phase-1 job. @since 0.1.0 @category models */
export interface Stage1Claim {
  readonly thread: Stage1Thread
  readonly ownershipToken: string
  readonly leaseUntil: number
}

/**
 * A stage-1 output selected for consolidation, with what the workspace needs of its thread.
 * @since 0.1.0
 * @category models
 */
export interface Phase2Input {
  readonly threadId: string
  readonly sourceUpdatedAt: number
  readonly rawMemory: string
  readonly rolloutSummary: string
  readonly rolloutSlug: string | null
  readonly usageCount: number
  readonly lastUsage: number | null
  readonly cwd: string
  readonly rolloutPath: string
}

/**
 * Phase 2's inputs: the selection (by thread id), the baseline entries (the last successful
 * consolidation's selection) it no longer holds, and whether it differs from the baseline at
 * all; a selection that does not (`dirty: false`) has nothing to consolidate.
 * @since 0.1.0
 * @category models
 */
export interface Phase2Inputs {
  readonly selected: ReadonlyArray<Phase2Input>
  readonly removed: ReadonlyArray<{ readonly threadId: string; readonly sourceUpdatedAt: number }>
  readonly dirty: boolean
}

/**
 * Where memory jobs stand: phase-1 jobs by status (and how many hold a fresh lease), stored
 * outputs, and the global phase-2 job with its cooldown end after a success.
 * @since 0.1.0
 * @category models
 */
export interface MemoryStatus {
  readonly now: number
  readonly stage1: Readonly<Record<Job["status"], number>> & { readonly leased: number }
  readonly outputs: number
  readonly phase2: Job | null
  /** When claims stop being skipped for cooldown (null: the last finish was not a success). */
  readonly phase2CooldownUntil: number | null
}

/** @since 0.1.0 @category models */
export interface MemoryJobs {
  /** Where the jobs stand (for `memories status`). */
  readonly status: Effect.Effect<MemoryStatus, DatabaseError>
  /** Threads changed since their last stage-1 output, newest first (`Stage1Selection`). */
  readonly selectStage1: (
    selection?: Partial<Stage1Selection>
  ) => Effect.Effect<ReadonlyArray<Stage1Thread>, InvalidInput | DatabaseError>
  /** Claims thread `threadId`'s phase-1 job for the thread as of `sourceUpdatedAt`. */
  readonly claimStage1: (input: {
    readonly threadId: string
    readonly sourceUpdatedAt: number
    readonly workerId: string
  }) => Effect.Effect<Stage1ClaimOutcome, InvalidInput | DatabaseError>
  /** Selects and claims up to `maxClaimed` (default: the selection's limit) phase-1 jobs. */
  readonly claimStage1Batch: (input: {
    readonly workerId: string
    readonly maxClaimed?: number
    readonly selection?: Partial<Stage1Selection>
  }) => Effect.Effect<ReadonlyArray<Stage1Claim>, InvalidInput | DatabaseError>
  /** Extends the owner's lease; returns the new lease end. */
  readonly heartbeatStage1: (
    input: { readonly threadId: string; readonly ownershipToken: string }
  ) => Effect.Effect<number, JobNotOwned | InvalidInput | DatabaseError>
  /** Records the output (as of the claimed source time), finishes the job and enqueues phase 2. */
  readonly succeedStage1: (input: {
    readonly threadId: string
    readonly ownershipToken: string
    readonly rawMemory: string
    readonly rolloutSummary: string
    readonly rolloutSlug?: string | null
  }) => Effect.Effect<void, JobNotOwned | InvalidInput | DatabaseError>
  /**
   * Finishes the job as a success that produced nothing: the thread's output (if any) is
   * deleted, and phase 2 is enqueued only when one was (there is something to forget).
   */
  readonly succeedStage1NoOutput: (
    input: { readonly threadId: string; readonly ownershipToken: string }
  ) => Effect.Effect<void, JobNotOwned | InvalidInput | DatabaseError>
  /**
   * Retention: deletes up to `limit` (default 200) outputs not in phase 2's baseline whose last
   * use (or, never used, their source time) is older than `maxUnusedMs` (default 30 days),
   * stalest first; returns how many.
   */
  readonly pruneStage1Outputs: (
    input?: { readonly maxUnusedMs?: number; readonly limit?: number }
  ) => Effect.Effect<number, InvalidInput | DatabaseError>
  /**
   * Marks a thread's memory `polluted` (external context entered it: it is no longer
   * selected); enqueues phase 2 when its output is in the baseline, so it is forgotten.
   * Returns whether the mode changed. The mode lives on the thread's row: a rebuild from the
   * rollout files resets it unless the host also records it there (SPEC §11, metadata update).
   */
  readonly markThreadPolluted: (threadId: string) => Effect.Effect<boolean, InvalidInput | DatabaseError>
  /** Counts one use of each thread's output (`usage_count + 1`, `last_usage` now); returns rows updated. */
  readonly recordStage1Usage: (
    threadIds: ReadonlyArray<string>
  ) => Effect.Effect<number, InvalidInput | DatabaseError>
  /** Consumes a retry and backs off (`retryDelayMs`, default the policy's); returns `retryAt`. */
  readonly failStage1: (input: {
    readonly threadId: string
    readonly ownershipToken: string
    readonly error: string
    readonly retryDelayMs?: number
  }) => Effect.Effect<number, JobNotOwned | InvalidInput | DatabaseError>
  readonly getStage1Output: (
    threadId: string
  ) => Effect.Effect<Option.Option<Stage1Output>, InvalidInput | DatabaseError>
  /** Claims the global consolidation lock. */
  readonly claimPhase2: (input: { readonly workerId: string }) => Effect.Effect<Phase2ClaimOutcome, DatabaseError>
  readonly heartbeatPhase2: (
    input: { readonly ownershipToken: string }
  ) => Effect.Effect<number, JobNotOwned | DatabaseError>
  /** Finishes consolidation of inputs up to `completedWatermark`; `selected` become the baseline. */
  readonly succeedPhase2: (input: {
    readonly ownershipToken: string
    readonly completedWatermark: number
    readonly selected?: ReadonlyArray<{ readonly threadId: string; readonly sourceUpdatedAt: number }>
  }) => Effect.Effect<void, JobNotOwned | InvalidInput | DatabaseError>
  readonly failPhase2: (input: {
    readonly ownershipToken: string
    readonly error: string
    readonly retryDelayMs?: number
  }) => Effect.Effect<number, JobNotOwned | DatabaseError>
  /**
   * Recovery when ownership was lost: fails the running global job held by this token or by
   * none, whatever its lease (never one another worker holds). Use after `failPhase2` failed
   * with `JobNotOwned`.
   */
  readonly failPhase2IfUnowned: (input: {
    readonly ownershipToken: string
    readonly error: string
    readonly retryDelayMs?: number
  }) => Effect.Effect<number, JobNotOwned | DatabaseError>
  /**
   * Phase 2's input selection (`Phase2Selection`): non-blank outputs of threads whose memory
   * is enabled, used (or produced) recently enough, ranked by `comparePhase2`, the best
   * `maxInputs`, returned by thread id.
   */
  readonly selectPhase2Inputs: (
    selection?: Partial<Phase2Selection>
  ) => Effect.Effect<Phase2Inputs, InvalidInput | DatabaseError>
  readonly getJob: (kind: string, key: string) => Effect.Effect<Option.Option<Job>, DatabaseError>
}

/** @since 0.1.0 @category tags */
export const MemoryJobs = Context.GenericTag<MemoryJobs>("rollout-state/MemoryJobs")

/**
 * The lock every job transition holds (`SqlDatabase.exclusive`).
 * @since 0.1.0
 */
export const MEMORY_JOBS_LOCK = "memory_jobs"

const decodeJob = Schema.decodeUnknown(JobFromRow)
const encodeJob = Schema.encodeSync(JobFromRow)
const decodeOutputs = Schema.decodeUnknown(Schema.Array(Stage1OutputFromRow))
const JOB_COLUMNS = Object.keys(JobRow.fields).filter((c) => c !== "kind" && c !== "job_key")
const UPDATE_JOB = JOB_COLUMNS.map((c) => `${c} = excluded.${c}`).join(", ")

const checkCount = (what: string, value: number, min: number, max: number) =>
  Number.isInteger(value) && value >= min && value <= max
    ? Effect.void
    : Effect.fail(new InvalidInput({ what, reason: `${value} is not an integer in ${min}..${max}` }))

/** @since 0.1.0 @category constructors */
export const make = (options: { readonly policy?: Partial<MemoryJobPolicy> } = {}) =>
  Effect.gen(function*() {
    const database = yield* SqlDatabase
    const sql = database.sql
    const storeError = (table: string, operation: string) => storeFailure(database, table)(operation)
    const policy: MemoryJobPolicy = { ...defaultPolicy, ...options.policy }
    const exclusively = database.exclusive(MEMORY_JOBS_LOCK)

    const loadJob = (kind: string, key: string) =>
      Effect.flatMap(
        sql`SELECT * FROM jobs WHERE kind = ${kind} AND job_key = ${key}`,
        (rows) => rows[0] === undefined ? Effect.succeed(undefined) : decodeJob(rows[0])
      )
    const writeJob = (job: Job) =>
      sql`INSERT INTO jobs ${sql.insert(encodeJob(job))} ON CONFLICT (kind, job_key) DO UPDATE SET ${
        sql.literal(UPDATE_JOB)
      }`
    const claimant = (workerId: string) => Effect.sync((): Claimant => ({ workerId, token: crypto.randomUUID() }))

    /** Read, apply `transition`, write, then `after`, all under the lock. */
    const finalise = <A>(
      kind: string,
      key: string,
      token: string,
      operation: string,
      transition: (job: Job | undefined, now: number) => Job | undefined,
      after: (job: Job, now: number) => Effect.Effect<A, unknown>
    ) =>
      exclusively(Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const next = transition(yield* loadJob(kind, key), now)
        if (next === undefined) return yield* new JobNotOwned({ kind, key, operation })
        yield* writeJob(next)
        return yield* after(next, now)
      })).pipe(
        Effect.catchIf(
          (e): e is Exclude<typeof e, JobNotOwned> => !(e instanceof JobNotOwned),
          (e) => Effect.fail(storeError("jobs", operation)(e))
        )
      )

    const selectStage1 = (partial: Partial<Stage1Selection> = {}) =>
      Effect.gen(function*() {
        const selection: Stage1Selection = { ...defaultSelection, ...partial }
        if (selection.allowedSources.length === 0 || selection.maxThreads <= 0) return []
        const now = yield* Clock.currentTimeMillis
        return yield* sql<{ id: string; updated_at_ms: number; cwd: string; rollout_path: string }>`
          SELECT t.id, t.updated_at_ms, t.cwd, t.rollout_path
          FROM threads t
          LEFT JOIN stage1_outputs o ON o.thread_id = t.id
          LEFT JOIN jobs j ON j.kind = ${STAGE1_KIND} AND j.job_key = t.id
          WHERE t.archived = 0
            AND (t.memory_mode IS NULL OR t.memory_mode = 'enabled')
            AND t.id IS DISTINCT FROM ${selection.excludeThreadId}
            AND t.source_kind IN ${sql.in(selection.allowedSources)}
            AND t.updated_at_ms >= ${now - selection.maxAgeMs}
            AND t.updated_at_ms <= ${now - selection.minIdleMs}
            AND (o.source_updated_at_ms IS NULL OR o.source_updated_at_ms < t.updated_at_ms)
            AND (j.last_success_watermark IS NULL OR j.last_success_watermark < t.updated_at_ms)
          ORDER BY t.updated_at_ms DESC, t.id DESC
          LIMIT ${selection.maxThreads}`.pipe(
          Effect.map((rows) =>
            rows.map((r) => ({ threadId: r.id, updatedAt: r.updated_at_ms, cwd: r.cwd, rolloutPath: r.rollout_path }))
          )
        )
      }).pipe(Effect.mapError(storeError("threads", "select stage 1")))

    const claimStage1Job = (
      input: { readonly threadId: string; readonly sourceUpdatedAt: number; readonly workerId: string }
    ) =>
      Effect.flatMap(claimant(input.workerId), (who) =>
        exclusively(Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const job = yield* loadJob(STAGE1_KIND, input.threadId)
          const [output] = yield* sql<{ source_updated_at_ms: number }>`
            SELECT source_updated_at_ms FROM stage1_outputs WHERE thread_id = ${input.threadId}`
          const [running] = yield* sql<{ n: number }>`
            SELECT COUNT(*) AS n FROM jobs
            WHERE kind = ${STAGE1_KIND} AND status = 'running' AND lease_until_ms > ${now} AND job_key != ${input.threadId}`
          const decision = claimStage1({
            job,
            key: input.threadId,
            outputWatermark: output?.source_updated_at_ms ?? null,
            sourceUpdatedAt: input.sourceUpdatedAt,
            runningOthers: running?.n ?? 0,
            claimant: who,
            now,
            policy
          })
          if (decision.next !== undefined) yield* writeJob(decision.next)
          return decision.outcome
        }))).pipe(Effect.mapError(storeError("jobs", "claim stage 1")))

    const ownedLease = (job: Job) => Effect.succeed(job.leaseUntil ?? 0)
    const retryAt = (job: Job) => Effect.succeed(job.retryAt ?? 0)

    const jobs: MemoryJobs = {
      selectStage1,
      claimStage1: claimStage1Job,
      claimStage1Batch: (input) =>
        Effect.gen(function*() {
          const threads = yield* selectStage1(input.selection)
          const limit = input.maxClaimed ?? threads.length
          const claims: Array<Stage1Claim> = []
          for (const thread of threads) {
            if (claims.length >= limit) break
            const outcome = yield* claimStage1Job({
              threadId: thread.threadId,
              sourceUpdatedAt: thread.updatedAt,
              workerId: input.workerId
            })
            if (outcome._tag === "Claimed") {
              claims.push({ thread, ownershipToken: outcome.ownershipToken, leaseUntil: outcome.leaseUntil })
            }
          }
          return claims
        }),
      heartbeatStage1: ({ ownershipToken, threadId }) =>
        finalise(STAGE1_KIND, threadId, ownershipToken, "heartbeat stage 1", (job, now) =>
          heartbeat(job, ownershipToken, now, policy.stage1LeaseMs), ownedLease),
      succeedStage1: (input) =>
        finalise(
          STAGE1_KIND,
          input.threadId,
          input.ownershipToken,
          "succeed stage 1",
          (job, now) =>
            succeed(job, input.ownershipToken, now, job?.inputWatermark ?? null),
          (job, now) =>
            Effect.gen(function*() {
              const source = job.inputWatermark ?? 0
              // A thread whose row is gone gets no output; an output from newer input is kept.
              // The casts: PostgreSQL types a SELECT list's parameters as text, not as the columns.
              yield* sql`INSERT INTO stage1_outputs (thread_id, source_updated_at_ms, raw_memory, rollout_summary, rollout_slug, generated_at_ms)
                SELECT id, CAST(${source} AS BIGINT), ${input.rawMemory}, ${input.rolloutSummary}, ${
                input.rolloutSlug ?? null
              }, CAST(${now} AS BIGINT)
                FROM threads WHERE id = ${input.threadId}
                ON CONFLICT (thread_id) DO UPDATE SET
                  source_updated_at_ms = excluded.source_updated_at_ms, raw_memory = excluded.raw_memory,
                  rollout_summary = excluded.rollout_summary, rollout_slug = excluded.rollout_slug,
                  generated_at_ms = excluded.generated_at_ms
                WHERE excluded.source_updated_at_ms >= stage1_outputs.source_updated_at_ms`
              yield* writeJob(enqueuePhase2(yield* loadJob(PHASE2_KIND, PHASE2_KEY), source, policy))
            })
        ),
      failStage1: (input) =>
        finalise(
          STAGE1_KIND,
          input.threadId,
          input.ownershipToken,
          "fail stage 1",
          (job, now) =>
            fail(job, input.ownershipToken, now, input.retryDelayMs ?? policy.stage1RetryDelayMs, input.error),
          retryAt
        ),
      getStage1Output: (threadId) =>
        sql`SELECT * FROM stage1_outputs WHERE thread_id = ${threadId}`.pipe(
          Effect.flatMap(decodeOutputs),
          Effect.map((outputs) =>
            Option.fromNullable(outputs[0])
          ),
          Effect.mapError(storeError("stage1_outputs", "get"))
        ),
      claimPhase2: ({ workerId }) =>
        Effect.flatMap(claimant(workerId), (who) =>
          exclusively(Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            const decision = claimPhase2(yield* loadJob(PHASE2_KIND, PHASE2_KEY), who, now, policy)
            if (decision.next !== undefined) {
              yield* writeJob(decision.next)
            }
            return decision.outcome
          }))).pipe(Effect.mapError(storeError("jobs", "claim phase 2"))),
      heartbeatPhase2: ({ ownershipToken }) =>
        finalise(PHASE2_KIND, PHASE2_KEY, ownershipToken, "heartbeat phase 2", (job, now) =>
          heartbeat(job, ownershipToken, now, policy.phase2LeaseMs), ownedLease),
      succeedPhase2: (input) =>
        finalise(
          PHASE2_KIND,
          PHASE2_KEY,
          input.ownershipToken,
          "succeed phase 2",
          (job, now) =>
            succeed(job, input.ownershipToken, now, Math.max(job?.lastSuccessWatermark ?? 0, input.completedWatermark)),
          () =>
            Effect.gen(function*() {
              // The selection becomes the baseline the next consolidation diffs against.
              yield* sql`UPDATE stage1_outputs SET selected_for_phase2 = 0, selected_for_phase2_source_updated_at_ms = NULL
                WHERE selected_for_phase2 != 0 OR selected_for_phase2_source_updated_at_ms IS NOT NULL`
              for (const output of input.selected ?? []) {
                yield* sql`UPDATE stage1_outputs SET selected_for_phase2 = 1, selected_for_phase2_source_updated_at_ms = ${output.sourceUpdatedAt}
                  WHERE thread_id = ${output.threadId} AND source_updated_at_ms = ${output.sourceUpdatedAt}`
              }
            })
        ),
      failPhase2: (input) =>
        finalise(
          PHASE2_KIND,
          PHASE2_KEY,
          input.ownershipToken,
          "fail phase 2",
          (job, now) =>
            fail(job, input.ownershipToken, now, input.retryDelayMs ?? policy.phase2RetryDelayMs, input.error),
          retryAt
        ),
      status: Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const counts = yield* sql<{ status: Job["status"]; n: number; leased: number }>`
          SELECT status, count(*) AS n,
            sum(CASE WHEN status = 'running' AND lease_until_ms > ${now} THEN 1 ELSE 0 END) AS leased
          FROM jobs WHERE kind = ${STAGE1_KIND} GROUP BY status`
        const [outputs] = yield* sql<{ n: number }>`SELECT count(*) AS n FROM stage1_outputs`
        const stage1 = { pending: 0, running: 0, done: 0, error: 0, leased: 0 }
        for (const row of counts) {
          stage1[row.status] = row.n
          stage1.leased += row.leased
        }
        const phase2 = (yield* loadJob(PHASE2_KIND, PHASE2_KEY)) ?? null
        return {
          now,
          stage1,
          outputs: outputs?.n ?? 0,
          phase2,
          phase2CooldownUntil: phase2 === null ? null : cooldownEnd(phase2, policy)
        }
      }).pipe(Effect.mapError(storeError("jobs", "status"))),
      succeedStage1NoOutput: (input) =>
        finalise(
          STAGE1_KIND,
          input.threadId,
          input.ownershipToken,
          "succeed stage 1 without output",
          (job, now) =>
            succeed(job, input.ownershipToken, now, job?.inputWatermark ?? null),
          (job) =>
            Effect.gen(function*() {
              const deleted = yield* sql<{ thread_id: string }>`
                DELETE FROM stage1_outputs WHERE thread_id = ${input.threadId} RETURNING thread_id`
              if (deleted.length > 0) {
                yield* writeJob(enqueuePhase2(yield* loadJob(PHASE2_KIND, PHASE2_KEY), job.inputWatermark ?? 0, policy))
              }
            })
        ),
      pruneStage1Outputs: (input = {}) =>
        Effect.gen(function*() {
          const maxUnusedMs = input.maxUnusedMs ?? defaultPhase2Selection.maxUnusedMs
          const limit = input.limit ?? 200
          yield* checkCount("stage1_outputs: prune: limit", limit, 0, 1_000_000)
          yield* checkCount("stage1_outputs: prune: max unused ms", maxUnusedMs, 0, Number.MAX_SAFE_INTEGER)
          const cutoff = (yield* Clock.currentTimeMillis) - maxUnusedMs
          const deleted = yield* sql<{ thread_id: string }>`
            DELETE FROM stage1_outputs WHERE thread_id IN (
              SELECT thread_id FROM stage1_outputs
              WHERE selected_for_phase2 = 0 AND COALESCE(last_usage_ms, source_updated_at_ms) < ${cutoff}
              ORDER BY COALESCE(last_usage_ms, source_updated_at_ms), thread_id
              LIMIT ${limit})
            RETURNING thread_id`
          return deleted.length
        }).pipe(Effect.catchTag("SqlError", storeError("stage1_outputs", "prune"))),
      markThreadPolluted: (threadId) =>
        exclusively(Effect.gen(function*() {
          const changed = yield* sql<{ id: string }>`
            UPDATE threads SET memory_mode = 'polluted'
            WHERE id = ${threadId} AND (memory_mode IS NULL OR memory_mode != 'polluted') RETURNING id`
          const [selected] = yield* sql<{ source_updated_at_ms: number }>`
            SELECT source_updated_at_ms FROM stage1_outputs WHERE thread_id = ${threadId} AND selected_for_phase2 = 1`
          if (selected !== undefined) {
            yield* writeJob(
              enqueuePhase2(yield* loadJob(PHASE2_KIND, PHASE2_KEY), selected.source_updated_at_ms, policy)
            )
          }
          return changed.length > 0
        })).pipe(Effect.mapError(storeError("threads", "mark memory polluted"))),
      recordStage1Usage: (threadIds) =>
        Effect.gen(function*() {
          if (threadIds.length === 0) {
            return 0
          }
          const now = yield* Clock.currentTimeMillis
          const updated = yield* sql<{ thread_id: string }>`
            UPDATE stage1_outputs SET usage_count = COALESCE(usage_count, 0) + 1, last_usage_ms = ${now}
            WHERE thread_id IN ${sql.in([...new Set(threadIds)])} RETURNING thread_id`
          return updated.length
        }).pipe(Effect.catchTag("SqlError", storeError("stage1_outputs", "record usage"))),
      failPhase2IfUnowned: (input) =>
        finalise(
          PHASE2_KIND,
          PHASE2_KEY,
          input.ownershipToken,
          "fail phase 2 if unowned",
          (job, now) =>
            failIfUnowned(job, input.ownershipToken, now, input.retryDelayMs ?? policy.phase2RetryDelayMs, input.error),
          retryAt
        ),
      selectPhase2Inputs: (partial = {}) =>
        Effect.gen(function*() {
          const selection: Phase2Selection = { ...defaultPhase2Selection, ...partial }
          yield* checkCount("phase 2 selection: max inputs", selection.maxInputs, 0, 100_000)
          yield* checkCount("phase 2 selection: max unused ms", selection.maxUnusedMs, 0, Number.MAX_SAFE_INTEGER)
          const cutoff = (yield* Clock.currentTimeMillis) - selection.maxUnusedMs
          // Under the lock: the selection and the baseline are read as one consistent state.
          return yield* exclusively(Effect.gen(function*() {
            const rows = yield* sql<{
              thread_id: string
              source_updated_at_ms: number
              raw_memory: string
              rollout_summary: string
              rollout_slug: string | null
              usage_count: number | null
              last_usage_ms: number | null
              cwd: string
              rollout_path: string
            }>`
              SELECT o.thread_id, o.source_updated_at_ms, o.raw_memory, o.rollout_summary, o.rollout_slug,
                o.usage_count, o.last_usage_ms, t.cwd, t.rollout_path
              FROM stage1_outputs o JOIN threads t ON t.id = o.thread_id
              WHERE (t.memory_mode IS NULL OR t.memory_mode = 'enabled')
                AND (trim(o.raw_memory) != '' OR trim(o.rollout_summary) != '')
                AND COALESCE(o.last_usage_ms, o.source_updated_at_ms) >= ${cutoff}
              ORDER BY COALESCE(o.usage_count, 0) DESC, COALESCE(o.last_usage_ms, o.source_updated_at_ms) DESC,
                o.source_updated_at_ms DESC, o.thread_id DESC
              LIMIT ${selection.maxInputs}`
            const baseline = yield* sql<{ thread_id: string; selected_for_phase2_source_updated_at_ms: number | null }>`
              SELECT thread_id, selected_for_phase2_source_updated_at_ms FROM stage1_outputs
              WHERE selected_for_phase2 = 1 ORDER BY thread_id`
            const selected = rows.map((r): Phase2Input => ({
              threadId: r.thread_id,
              sourceUpdatedAt: r.source_updated_at_ms,
              rawMemory: r.raw_memory,
              rolloutSummary: r.rollout_summary,
              rolloutSlug: r.rollout_slug,
              usageCount: r.usage_count ?? 0,
              lastUsage: r.last_usage_ms,
              cwd: r.cwd,
              rolloutPath: r.rollout_path
            })).sort((a, b) => (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0))
            const key = (threadId: string, source: number | null) =>
              `${threadId}@${source}`
            const chosen = new Set(selected.map((i) =>
              key(i.threadId, i.sourceUpdatedAt)
            ))
            const removed = baseline
              .filter((b) =>
                !chosen.has(key(b.thread_id, b.selected_for_phase2_source_updated_at_ms))
              )
              .map((b) => ({ threadId: b.thread_id, sourceUpdatedAt: b.selected_for_phase2_source_updated_at_ms ?? 0 }))
            const dirty = removed.length > 0 || selected.length !== baseline.length - removed.length
            return { selected, removed, dirty }
          }))
        }).pipe(Effect.catchTag("SqlError", storeError("stage1_outputs", "select phase 2 inputs"))),
      getJob: (kind, key) =>
        loadJob(kind, key).pipe(Effect.map(Option.fromNullable), Effect.mapError(storeError("jobs", "get")))
    }
    // Every id a caller gives is checked before a row is read or written (SPEC §12).
    const checked = <A, E>(operation: string, ids: ReadonlyArray<string | undefined>, use: Effect.Effect<A, E>) =>
      Effect.zipRight(
        Effect.forEach(
          ids,
          (id) =>
            id === undefined ? Effect.void : validThreadId(id, `jobs: ${operation}: thread id`)
        ),
        use
      )
    return MemoryJobs.of({
      ...jobs,
      selectStage1: (selection) =>
        checked("select stage 1", [selection?.excludeThreadId ?? undefined], jobs.selectStage1(selection)),
      claimStage1: (input) =>
        checked("claim stage 1", [input.threadId], jobs.claimStage1(input)),
      claimStage1Batch: (input) =>
        checked("claim stage 1", [input.selection?.excludeThreadId ?? undefined], jobs.claimStage1Batch(input)),
      heartbeatStage1: (input) => checked("heartbeat stage 1", [input.threadId], jobs.heartbeatStage1(input)),
      succeedStage1: (input) => checked("succeed stage 1", [input.threadId], jobs.succeedStage1(input)),
      failStage1: (input) => checked("fail stage 1", [input.threadId], jobs.failStage1(input)),
      succeedStage1NoOutput: (input) =>
        checked("succeed stage 1 without output", [input.threadId], jobs.succeedStage1NoOutput(input)),
      markThreadPolluted: (threadId) => checked("mark memory polluted", [threadId], jobs.markThreadPolluted(threadId)),
      recordStage1Usage: (threadIds) => checked("record usage", threadIds, jobs.recordStage1Usage(threadIds)),
      getStage1Output: (threadId) => checked("get stage 1 output", [threadId], jobs.getStage1Output(threadId)),
      succeedPhase2: (input) =>
        checked(
          "succeed phase 2",
          (input.selected ?? []).map((s) => s.threadId),
          jobs.succeedPhase2(input)
        )
    })
  })

/** @since 0.1.0 @category layers */
export const layer = (options: { readonly policy?: Partial<MemoryJobPolicy> } = {}) =>
  Layer.effect(MemoryJobs, make(options))
