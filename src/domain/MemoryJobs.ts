/**
 * Memory jobs (SPEC §8) as pure state machines over one `jobs` row: phase 1 (one job per
 * thread, extracting a stage-1 output) and phase 2 (one global consolidation lock). Each rule
 * is a function of (row, event, now) returning the outcome and the row to write; the store
 * applies them under the write lock, so they are the whole behaviour.
 * @since 0.1.0
 */
import { Data, Schema } from "effect"

/**
 * @since 0.1.0
 * @category schemas
 */
export const JobStatus = Schema.Literal("pending", "running", "done", "error")

/** @since 0.1.0 */
export type JobStatus = typeof JobStatus.Type

/**
 * One `jobs` row; times in epoch milliseconds. Watermarks are source times (a thread's
 * `updated_at` for phase 1); `inputWatermark` is what the current or last run was given,
 * `lastSuccessWatermark` what the last success covered.
 * @since 0.1.0
 * @category schemas
 */
export const Job = Schema.Struct({
  kind: Schema.String,
  key: Schema.String,
  status: JobStatus,
  workerId: Schema.NullOr(Schema.String),
  ownershipToken: Schema.NullOr(Schema.String),
  startedAt: Schema.NullOr(Schema.Int),
  finishedAt: Schema.NullOr(Schema.Int),
  leaseUntil: Schema.NullOr(Schema.Int),
  retryAt: Schema.NullOr(Schema.Int),
  retryRemaining: Schema.NonNegativeInt,
  lastError: Schema.NullOr(Schema.String),
  inputWatermark: Schema.NullOr(Schema.Int),
  lastSuccessWatermark: Schema.NullOr(Schema.Int)
})

/** @since 0.1.0 */
export type Job = typeof Job.Type

/** @since 0.1.0 */
export const STAGE1_KIND = "memory_stage1"
/** @since 0.1.0 */
export const PHASE2_KIND = "memory_consolidate_global"
/** @since 0.1.0 */
export const PHASE2_KEY = "global"

const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR

/**
 * Leases, backoff and limits; the defaults are the reference's.
 * @since 0.1.0
 * @category models
 */
export interface MemoryJobPolicy {
  readonly stage1LeaseMs: number
  readonly stage1RetryDelayMs: number
  /** Phase-1 jobs running (fresh lease) at once, across workers and processes. */
  readonly maxRunningStage1: number
  /** Failures a job may have before it waits for newer input (phase 1) — its retry budget. */
  readonly retryBudget: number
  readonly phase2LeaseMs: number
  readonly phase2RetryDelayMs: number
  /** After a phase-2 success, claims are skipped this long. */
  readonly phase2CooldownMs: number
}

/** @since 0.1.0 */
export const defaultPolicy: MemoryJobPolicy = {
  stage1LeaseMs: HOUR,
  stage1RetryDelayMs: HOUR,
  maxRunningStage1: 64,
  retryBudget: 3,
  phase2LeaseMs: HOUR,
  phase2RetryDelayMs: HOUR,
  phase2CooldownMs: 6 * HOUR
}

/**
 * Which threads phase 1 considers; the defaults are the newest seeds' startup values
 * (interactive sources, at most 2 rollouts over 10 days, idle 12 hours; SPEC §11).
 * @since 0.1.0
 * @category models
 */
export interface Stage1Selection {
  readonly maxThreads: number
  readonly maxAgeMs: number
  /** A thread still being written to is left alone until it has been idle this long. */
  readonly minIdleMs: number
  readonly allowedSources: ReadonlyArray<string>
  /** The worker's own thread, never summarized while it runs. */
  readonly excludeThreadId: string | null
}

/** @since 0.1.0 */
export const defaultSelection: Stage1Selection = {
  maxThreads: 2,
  maxAgeMs: 10 * DAY,
  minIdleMs: 12 * HOUR,
  allowedSources: ["cli", "vscode"],
  excludeThreadId: null
}

/**
 * What the selection reads of a thread and of its memory state.
 * @since 0.1.0
 * @category models
 */
export interface Stage1Candidate {
  readonly threadId: string
  readonly updatedAt: number
  readonly sourceKind: string
  readonly archived: boolean
  readonly memoryMode: string | null
  /** `source_updated_at` of the thread's stage-1 output, if any. */
  readonly outputWatermark: number | null
  /** `last_success_watermark` of the thread's phase-1 job, if any. */
  readonly lastSuccessWatermark: number | null
}

/**
 * A thread phase 1 should (re)summarize: changed since its last output, recent, idle,
 * interactive, live and not opted out of memory.
 * @since 0.1.0
 */
export const isStage1Candidate = (thread: Stage1Candidate, now: number, selection: Stage1Selection): boolean =>
  !thread.archived &&
  (thread.memoryMode === null || thread.memoryMode === "enabled") &&
  thread.threadId !== selection.excludeThreadId &&
  selection.allowedSources.includes(thread.sourceKind) &&
  thread.updatedAt >= now - selection.maxAgeMs &&
  thread.updatedAt <= now - selection.minIdleMs &&
  (thread.outputWatermark === null || thread.outputWatermark < thread.updatedAt) &&
  (thread.lastSuccessWatermark === null || thread.lastSuccessWatermark < thread.updatedAt)

/**
 * The selection over a set of threads: candidates, newest first (ties by id, descending), at
 * most `maxThreads`.
 * @since 0.1.0
 */
export const selectStage1 = (
  threads: ReadonlyArray<Stage1Candidate>,
  now: number,
  selection: Stage1Selection
): ReadonlyArray<Stage1Candidate> =>
  threads
    .filter((t) => isStage1Candidate(t, now, selection))
    .sort((a, b) => b.updatedAt - a.updatedAt || (a.threadId < b.threadId ? 1 : a.threadId > b.threadId ? -1 : 0))
    .slice(0, Math.max(0, selection.maxThreads))

/**
 * A running job whose lease has not expired; anything else may be claimed (subject to
 * backoff and cooldown).
 * @since 0.1.0
 */
export const hasFreshLease = (job: Job, now: number): boolean =>
  job.status === "running" && job.leaseUntil !== null && job.leaseUntil > now

/**
 * The holder of `token` owns the job: it is running under that token and its lease is fresh.
 * An owner whose lease expired has lost the job even before anyone reclaims it.
 * @since 0.1.0
 */
export const isOwner = (job: Job | undefined, token: string, now: number): job is Job =>
  job !== undefined && job.ownershipToken === token && hasFreshLease(job, now)

/**
 * The outcome of a phase-1 claim.
 * @since 0.1.0
 * @category models
 */
export type Stage1ClaimOutcome = Data.TaggedEnum<{
  Claimed: { readonly ownershipToken: string; readonly leaseUntil: number; readonly inputWatermark: number }
  /** The output or the last success already covers this source time. */
  SkippedUpToDate: Record<never, never>
  /** Another worker holds a fresh lease. */
  SkippedRunning: { readonly leaseUntil: number }
  /** The last failure's backoff has not passed, and the input has not advanced. */
  SkippedBackoff: { readonly retryAt: number }
  /** No retries left for this input; newer input resets the budget. */
  SkippedRetryExhausted: Record<never, never>
  /** `maxRunningStage1` other jobs hold fresh leases. */
  SkippedAtCapacity: { readonly running: number }
}>

/** @since 0.1.0 @category constructors */
export const Stage1ClaimOutcome = Data.taggedEnum<Stage1ClaimOutcome>()

/**
 * The outcome of a phase-2 claim.
 * @since 0.1.0
 * @category models
 */
export type Phase2ClaimOutcome = Data.TaggedEnum<{
  Claimed: { readonly ownershipToken: string; readonly leaseUntil: number; readonly inputWatermark: number }
  SkippedRunning: { readonly leaseUntil: number }
  /** A success finished less than `phase2CooldownMs` ago. */
  SkippedCooldown: { readonly until: number }
  SkippedBackoff: { readonly retryAt: number }
}>

/** @since 0.1.0 @category constructors */
export const Phase2ClaimOutcome = Data.taggedEnum<Phase2ClaimOutcome>()

/**
 * A claim's outcome and, when claimed, the row to write.
 * @since 0.1.0
 * @category models
 */
export interface Decision<Outcome> {
  readonly outcome: Outcome
  readonly next: Job | undefined
}

/** Who asks, with the token a claim would hand out. @since 0.1.0 @category models */
export interface Claimant {
  readonly workerId: string
  readonly token: string
}

const running = (
  job: Job,
  claimant: Claimant,
  now: number,
  leaseMs: number,
  inputWatermark: number | null,
  retryRemaining: number
): Job => ({
  ...job,
  status: "running",
  workerId: claimant.workerId,
  ownershipToken: claimant.token,
  startedAt: now,
  finishedAt: null,
  leaseUntil: now + leaseMs,
  retryAt: null,
  lastError: null,
  inputWatermark,
  retryRemaining
})

/**
 * A job that never ran.
 * @since 0.1.0
 * @category constructors
 */
export const emptyJob = (kind: string, key: string, retryRemaining: number): Job => ({
  kind,
  key,
  status: "pending",
  workerId: null,
  ownershipToken: null,
  startedAt: null,
  finishedAt: null,
  leaseUntil: null,
  retryAt: null,
  retryRemaining,
  lastError: null,
  inputWatermark: null,
  lastSuccessWatermark: null
})

/**
 * Phase-1 claim of thread `key`'s job for source time `sourceUpdatedAt`. Newer input than
 * the job last saw lifts backoff and restores the retry budget (as in the reference); a
 * fresh lease is never taken over.
 * @since 0.1.0
 */
export const claimStage1 = (input: {
  readonly job: Job | undefined
  readonly key: string
  readonly outputWatermark: number | null
  readonly sourceUpdatedAt: number
  /** Other phase-1 jobs holding fresh leases. */
  readonly runningOthers: number
  readonly claimant: Claimant
  readonly now: number
  readonly policy: MemoryJobPolicy
}): Decision<Stage1ClaimOutcome> => {
  const { claimant, job, now, policy, sourceUpdatedAt } = input
  const skip = (outcome: Stage1ClaimOutcome): Decision<Stage1ClaimOutcome> => ({ outcome, next: undefined })
  if (input.outputWatermark !== null && input.outputWatermark >= sourceUpdatedAt) {
    return skip(Stage1ClaimOutcome.SkippedUpToDate())
  }
  if (job?.lastSuccessWatermark != null && job.lastSuccessWatermark >= sourceUpdatedAt) {
    return skip(Stage1ClaimOutcome.SkippedUpToDate())
  }
  const advanced = job === undefined || job.inputWatermark === null || sourceUpdatedAt > job.inputWatermark
  if (job !== undefined) {
    if (hasFreshLease(job, now)) return skip(Stage1ClaimOutcome.SkippedRunning({ leaseUntil: job.leaseUntil! }))
    if (!advanced && job.retryAt !== null && job.retryAt > now) {
      return skip(Stage1ClaimOutcome.SkippedBackoff({ retryAt: job.retryAt }))
    }
    if (!advanced && job.retryRemaining <= 0) return skip(Stage1ClaimOutcome.SkippedRetryExhausted())
  }
  if (input.runningOthers >= policy.maxRunningStage1) {
    return skip(Stage1ClaimOutcome.SkippedAtCapacity({ running: input.runningOthers }))
  }
  const base = job ?? emptyJob(STAGE1_KIND, input.key, policy.retryBudget)
  const next = running(
    base,
    claimant,
    now,
    policy.stage1LeaseMs,
    sourceUpdatedAt,
    advanced ? policy.retryBudget : base.retryRemaining
  )
  return {
    outcome: Stage1ClaimOutcome.Claimed({
      ownershipToken: claimant.token,
      leaseUntil: next.leaseUntil!,
      inputWatermark: sourceUpdatedAt
    }),
    next
  }
}

/**
 * Phase-2 claim of the global lock. Backoff first, then a fresh lease, then the cooldown
 * after a success (the last finish without an error). The retry budget is not consulted:
 * an exhausted budget never blocks consolidation, only `retryAt` does.
 * @since 0.1.0
 */
export const claimPhase2 = (
  job: Job | undefined,
  claimant: Claimant,
  now: number,
  policy: MemoryJobPolicy
): Decision<Phase2ClaimOutcome> => {
  const skip = (outcome: Phase2ClaimOutcome): Decision<Phase2ClaimOutcome> => ({ outcome, next: undefined })
  if (job !== undefined) {
    if (job.retryAt !== null && job.retryAt > now) {
      return skip(Phase2ClaimOutcome.SkippedBackoff({ retryAt: job.retryAt }))
    }
    if (hasFreshLease(job, now)) return skip(Phase2ClaimOutcome.SkippedRunning({ leaseUntil: job.leaseUntil! }))
    const cooldownUntil = cooldownEnd(job, policy)
    if (cooldownUntil !== null && cooldownUntil > now) {
      return skip(Phase2ClaimOutcome.SkippedCooldown({ until: cooldownUntil }))
    }
  }
  const base = job ??
    { ...emptyJob(PHASE2_KIND, PHASE2_KEY, policy.retryBudget), inputWatermark: 0, lastSuccessWatermark: 0 }
  const next = running(base, claimant, now, policy.phase2LeaseMs, base.inputWatermark, base.retryRemaining)
  return {
    outcome: Phase2ClaimOutcome.Claimed({
      ownershipToken: claimant.token,
      leaseUntil: next.leaseUntil!,
      inputWatermark: base.inputWatermark ?? 0
    }),
    next
  }
}

/**
 * When the cooldown after the job's last success ends (`null`: its last finish was not a
 * success).
 * @since 0.1.0
 */
export const cooldownEnd = (job: Job, policy: MemoryJobPolicy): number | null =>
  job.lastError === null && job.finishedAt !== null ? job.finishedAt + policy.phase2CooldownMs : null

/**
 * The owner extends its lease to `now + leaseMs`; `undefined` when `token` does not own it.
 * @since 0.1.0
 */
export const heartbeat = (job: Job | undefined, token: string, now: number, leaseMs: number): Job | undefined =>
  isOwner(job, token, now) ? { ...job, leaseUntil: now + leaseMs } : undefined

/**
 * The owner finishes successfully; `successWatermark` is what the run covered.
 * @since 0.1.0
 */
export const succeed = (
  job: Job | undefined,
  token: string,
  now: number,
  successWatermark: number | null
): Job | undefined =>
  isOwner(job, token, now)
    ? {
      ...job,
      status: "done",
      finishedAt: now,
      leaseUntil: null,
      lastError: null,
      lastSuccessWatermark: successWatermark
    }
    : undefined

/**
 * The owner fails: one retry is consumed (never below zero) and the job backs off until
 * `now + retryDelayMs`.
 * @since 0.1.0
 */
export const fail = (
  job: Job | undefined,
  token: string,
  now: number,
  retryDelayMs: number,
  error: string
): Job | undefined =>
  isOwner(job, token, now)
    ? {
      ...job,
      status: "error",
      finishedAt: now,
      leaseUntil: null,
      retryAt: now + Math.max(0, retryDelayMs),
      retryRemaining: Math.max(0, job.retryRemaining - 1),
      lastError: error
    }
    : undefined

/**
 * Recovery after ownership was lost: fails a running job held by `token` or by nobody (a NULL
 * token), whatever its lease, as the reference's `_failed_if_unowned`. A caller uses it only
 * after `fail` found the job not owned; a job another worker holds is never touched.
 * @since 0.1.0
 */
export const failIfUnowned = (
  job: Job | undefined,
  token: string,
  now: number,
  retryDelayMs: number,
  error: string
): Job | undefined =>
  job !== undefined && job.status === "running" && (job.ownershipToken === token || job.ownershipToken === null)
    ? {
      ...job,
      status: "error",
      finishedAt: now,
      leaseUntil: null,
      retryAt: now + Math.max(0, retryDelayMs),
      retryRemaining: Math.max(0, job.retryRemaining - 1),
      lastError: error
    }
    : undefined

/**
 * Which stage-1 outputs phase 2 consolidates; the defaults are the reference's (256 inputs,
 * unused for at most 30 days).
 * @since 0.1.0
 * @category models
 */
export interface Phase2Selection {
  readonly maxInputs: number
  /** An output last used (or, never used, produced) longer ago than this is not selected. */
  readonly maxUnusedMs: number
}

/** @since 0.1.0 */
export const defaultPhase2Selection: Phase2Selection = { maxInputs: 256, maxUnusedMs: 30 * DAY }

/**
 * What phase 2's ranking reads of a stage-1 output.
 * @since 0.1.0
 * @category models
 */
export interface Phase2Candidate {
  readonly threadId: string
  readonly sourceUpdatedAt: number
  readonly usageCount: number
  readonly lastUsage: number | null
}

/**
 * The ranking of phase-2 inputs, best first: most used, then most recently used (or
 * produced), then newest source, then thread id descending (the reference's order).
 * @since 0.1.0
 */
export const comparePhase2 = (a: Phase2Candidate, b: Phase2Candidate): number =>
  b.usageCount - a.usageCount ||
  (b.lastUsage ?? b.sourceUpdatedAt) - (a.lastUsage ?? a.sourceUpdatedAt) ||
  b.sourceUpdatedAt - a.sourceUpdatedAt ||
  (a.threadId < b.threadId ? 1 : a.threadId > b.threadId ? -1 : 0)

/**
 * Whether a candidate is recent enough: used since the cutoff, or never used and produced
 * since it.
 * @since 0.1.0
 */
export const isPhase2Candidate = (c: Phase2Candidate, now: number, selection: Phase2Selection): boolean =>
  (c.lastUsage ?? c.sourceUpdatedAt) >= now - selection.maxUnusedMs

/**
 * New stage-1 output exists up to `watermark`: the global job becomes pending (unless
 * running) and its input watermark advances, strictly, so a consolidation that claimed an
 * older watermark can tell. A failed consolidation's backoff is kept.
 * @since 0.1.0
 */
export const enqueuePhase2 = (job: Job | undefined, watermark: number, policy: MemoryJobPolicy): Job => {
  if (job === undefined) {
    return {
      ...emptyJob(PHASE2_KIND, PHASE2_KEY, policy.retryBudget),
      inputWatermark: watermark,
      lastSuccessWatermark: 0
    }
  }
  const previous = job.inputWatermark ?? 0
  return {
    ...job,
    status: job.status === "running" ? "running" : "pending",
    retryRemaining: Math.max(job.retryRemaining, policy.retryBudget),
    inputWatermark: watermark > previous ? watermark : previous + 1
  }
}

/**
 * `thread_memory.updated_at` after an upsert at `now`: strictly after the previous value,
 * even when the clock has not moved (or went back), so readers ordering by it see the change.
 * @since 0.1.0
 */
export const nextMemoryUpdatedAt = (previous: number | undefined, now: number): number =>
  previous === undefined ? now : Math.max(now, previous + 1)
