import { describe, expect, it } from "vitest"
import {
  claimPhase2,
  claimStage1,
  cooldownEnd,
  defaultPolicy,
  defaultSelection,
  emptyJob,
  enqueuePhase2,
  fail,
  hasFreshLease,
  heartbeat,
  isOwner,
  isStage1Candidate,
  type Job,
  PHASE2_KEY,
  PHASE2_KIND,
  selectStage1,
  STAGE1_KIND,
  type Stage1Candidate,
  succeed
} from "../../src/domain/MemoryJobs.js"

const HOUR = 3_600_000
const DAY = 24 * HOUR
const NOW = 100 * DAY
const claimant = { workerId: "w", token: "tok" }

const candidate = (overrides: Partial<Stage1Candidate> = {}): Stage1Candidate => ({
  threadId: "t",
  updatedAt: NOW - DAY,
  sourceKind: "cli",
  archived: false,
  memoryMode: null,
  outputWatermark: null,
  lastSuccessWatermark: null,
  ...overrides
})

const runningJob = (overrides: Partial<Job> = {}): Job => ({
  ...emptyJob(STAGE1_KIND, "t", 3),
  status: "running",
  workerId: "w",
  ownershipToken: "tok",
  startedAt: NOW - 10,
  leaseUntil: NOW + 10,
  inputWatermark: 5,
  ...overrides
})

/** The selection of earlier seeds (64 threads over 30 days): room for the boundaries tested here. */
const wideSelection = { ...defaultSelection, maxThreads: 64, maxAgeMs: 30 * DAY }

describe("memory job policy and selection", () => {
  it("has the reference's defaults", () => {
    expect(defaultPolicy).toEqual({
      stage1LeaseMs: HOUR,
      stage1RetryDelayMs: HOUR,
      maxRunningStage1: 64,
      retryBudget: 3,
      phase2LeaseMs: HOUR,
      phase2RetryDelayMs: HOUR,
      phase2CooldownMs: 6 * HOUR
    })
    // The newest seeds' defaults (SPEC §11): 2 rollouts over 10 days.
    expect(defaultSelection).toEqual({
      maxThreads: 2,
      maxAgeMs: 10 * DAY,
      minIdleMs: 12 * HOUR,
      allowedSources: ["cli", "vscode"],
      excludeThreadId: null
    })
    expect([STAGE1_KIND, PHASE2_KIND, PHASE2_KEY]).toEqual(["memory_stage1", "memory_consolidate_global", "global"])
  })

  it("takes a thread only when every condition holds, each at its boundary", () => {
    const is = (overrides: Partial<Stage1Candidate>, selection = wideSelection) =>
      isStage1Candidate(candidate(overrides), NOW, selection)
    expect(is({})).toBe(true)
    expect(is({ archived: true })).toBe(false)
    expect(is({ memoryMode: "enabled" })).toBe(true)
    expect(is({ memoryMode: "disabled" })).toBe(false)
    expect(is({}, { ...wideSelection, excludeThreadId: "t" })).toBe(false)
    expect(is({}, { ...wideSelection, excludeThreadId: "other" })).toBe(true)
    expect(is({ sourceKind: "vscode" })).toBe(true)
    expect(is({ sourceKind: "exec" })).toBe(false)
    expect(is({ updatedAt: NOW - 30 * DAY })).toBe(true)
    expect(is({ updatedAt: NOW - 30 * DAY - 1 })).toBe(false)
    expect(is({ updatedAt: NOW - 12 * HOUR })).toBe(true)
    expect(is({ updatedAt: NOW - 12 * HOUR + 1 })).toBe(false)
    const at = NOW - DAY
    expect(is({ outputWatermark: at - 1 })).toBe(true)
    expect(is({ outputWatermark: at })).toBe(false)
    expect(is({ lastSuccessWatermark: at - 1 })).toBe(true)
    expect(is({ lastSuccessWatermark: at })).toBe(false)
  })

  it("selects candidates newest first, ties by id descending, at most maxThreads", () => {
    const threads = [
      candidate({ threadId: "a", updatedAt: NOW - 2 * DAY }),
      candidate({ threadId: "b", updatedAt: NOW - DAY }),
      candidate({ threadId: "c", updatedAt: NOW - DAY }),
      candidate({ threadId: "x", archived: true }),
      candidate({ threadId: "d", updatedAt: NOW - 3 * DAY })
    ]
    const ids = (maxThreads: number) =>
      selectStage1(threads, NOW, { ...defaultSelection, maxThreads }).map((t) => t.threadId)
    expect(ids(10)).toEqual(["c", "b", "a", "d"])
    expect(ids(2)).toEqual(["c", "b"])
    expect(ids(0)).toEqual([])
    expect(ids(-1)).toEqual([])
    expect(selectStage1([threads[2]!, threads[1]!], NOW, defaultSelection).map((t) => t.threadId)).toEqual(["c", "b"])
  })
})

describe("memory job leases", () => {
  it("a lease is fresh only while running and strictly before its end", () => {
    expect(hasFreshLease(runningJob(), NOW)).toBe(true)
    expect(hasFreshLease(runningJob({ leaseUntil: NOW }), NOW)).toBe(false)
    expect(hasFreshLease(runningJob({ leaseUntil: null }), NOW)).toBe(false)
    expect(hasFreshLease(runningJob({ status: "done" }), NOW)).toBe(false)
    expect(isOwner(runningJob(), "tok", NOW)).toBe(true)
    expect(isOwner(runningJob(), "other", NOW)).toBe(false)
    expect(isOwner(undefined, "tok", NOW)).toBe(false)
    expect(isOwner(runningJob({ leaseUntil: NOW }), "tok", NOW)).toBe(false)
  })

  it("only the owner heartbeats, succeeds or fails, and each writes exactly its fields", () => {
    const job = runningJob()
    expect(heartbeat(job, "tok", NOW, 50)).toEqual({ ...job, leaseUntil: NOW + 50 })
    expect(heartbeat(job, "other", NOW, 50)).toBeUndefined()
    expect(succeed(job, "tok", NOW, 9)).toEqual({
      ...job,
      status: "done",
      finishedAt: NOW,
      leaseUntil: null,
      lastError: null,
      lastSuccessWatermark: 9
    })
    expect(succeed(job, "other", NOW, 9)).toBeUndefined()
    expect(fail(job, "tok", NOW, -5, "boom")).toEqual({
      ...job,
      status: "error",
      finishedAt: NOW,
      leaseUntil: null,
      retryAt: NOW,
      retryRemaining: 2,
      lastError: "boom"
    })
    expect(fail(runningJob({ retryRemaining: 0 }), "tok", NOW, 7, "e")).toMatchObject({
      retryAt: NOW + 7,
      retryRemaining: 0
    })
    expect(fail(job, "other", NOW, 7, "e")).toBeUndefined()
  })
})

describe("stage-1 claims", () => {
  const claim = (job: Job | undefined, overrides: Partial<Parameters<typeof claimStage1>[0]> = {}) =>
    claimStage1({
      job,
      key: "t",
      outputWatermark: null,
      sourceUpdatedAt: 10,
      runningOthers: 0,
      claimant,
      now: NOW,
      policy: defaultPolicy,
      ...overrides
    })

  it("claims a thread that never ran with a new job row", () => {
    expect(claim(undefined)).toEqual({
      outcome: { _tag: "Claimed", ownershipToken: "tok", leaseUntil: NOW + HOUR, inputWatermark: 10 },
      next: {
        kind: STAGE1_KIND,
        key: "t",
        status: "running",
        workerId: "w",
        ownershipToken: "tok",
        startedAt: NOW,
        finishedAt: null,
        leaseUntil: NOW + HOUR,
        retryAt: null,
        retryRemaining: 3,
        lastError: null,
        inputWatermark: 10,
        lastSuccessWatermark: null
      }
    })
  })

  it("skips input already covered, a fresh lease, backoff, an exhausted budget and a full house", () => {
    expect(claim(undefined, { outputWatermark: 10 }).outcome._tag).toBe("SkippedUpToDate")
    expect(claim(undefined, { outputWatermark: 9 }).outcome._tag).toBe("Claimed")
    expect(claim({ ...emptyJob(STAGE1_KIND, "t", 3), lastSuccessWatermark: 10 }).outcome._tag).toBe("SkippedUpToDate")
    expect(claim({ ...emptyJob(STAGE1_KIND, "t", 3), lastSuccessWatermark: 9 }).outcome._tag).toBe("Claimed")
    expect(claim(runningJob()).outcome).toEqual({ _tag: "SkippedRunning", leaseUntil: NOW + 10 })
    const failed = { ...emptyJob(STAGE1_KIND, "t", 1), status: "error" as const, inputWatermark: 10, retryAt: NOW + 1 }
    expect(claim(failed)).toEqual({ outcome: { _tag: "SkippedBackoff", retryAt: NOW + 1 }, next: undefined })
    expect(claim({ ...failed, retryAt: NOW }).outcome._tag).toBe("Claimed")
    expect(claim({ ...failed, retryAt: NOW }).next?.retryRemaining).toBe(1)
    expect(claim({ ...failed, retryAt: null, retryRemaining: 0 }).outcome._tag).toBe("SkippedRetryExhausted")
    // Newer input lifts the backoff and restores the budget.
    const newer = claim({ ...failed, retryRemaining: 0 }, { sourceUpdatedAt: 11 })
    expect(newer.outcome._tag).toBe("Claimed")
    expect(newer.next?.retryRemaining).toBe(3)
    expect(claim({ ...failed, inputWatermark: null, retryRemaining: 0 }).next?.retryRemaining).toBe(3)
    expect(claim(undefined, { runningOthers: 64 }).outcome).toEqual({ _tag: "SkippedAtCapacity", running: 64 })
    expect(claim(undefined, { runningOthers: 63 }).outcome._tag).toBe("Claimed")
  })
})

describe("phase-2 claims", () => {
  it("claims the lock that never ran at watermark 0", () => {
    expect(claimPhase2(undefined, claimant, NOW, defaultPolicy)).toEqual({
      outcome: { _tag: "Claimed", ownershipToken: "tok", leaseUntil: NOW + HOUR, inputWatermark: 0 },
      next: {
        ...emptyJob(PHASE2_KIND, PHASE2_KEY, 3),
        status: "running",
        workerId: "w",
        ownershipToken: "tok",
        startedAt: NOW,
        leaseUntil: NOW + HOUR,
        inputWatermark: 0,
        lastSuccessWatermark: 0
      }
    })
  })

  it("skips backoff, then a fresh lease, then the cooldown after a success", () => {
    const done: Job = {
      ...emptyJob(PHASE2_KIND, PHASE2_KEY, 0),
      status: "done",
      finishedAt: NOW - HOUR,
      inputWatermark: 4
    }
    expect(cooldownEnd(done, defaultPolicy)).toBe(NOW + 5 * HOUR)
    expect(cooldownEnd({ ...done, lastError: "e" }, defaultPolicy)).toBeNull()
    expect(cooldownEnd({ ...done, finishedAt: null }, defaultPolicy)).toBeNull()
    expect(claimPhase2(done, claimant, NOW, defaultPolicy).outcome).toEqual({
      _tag: "SkippedCooldown",
      until: NOW + 5 * HOUR
    })
    expect(claimPhase2(done, claimant, NOW + 5 * HOUR, defaultPolicy).outcome).toMatchObject({
      _tag: "Claimed",
      inputWatermark: 4
    })
    const backoff = { ...done, lastError: "e", status: "error" as const, retryAt: NOW + 1 }
    expect(claimPhase2(backoff, claimant, NOW, defaultPolicy).outcome).toEqual({
      _tag: "SkippedBackoff",
      retryAt: NOW + 1
    })
    expect(claimPhase2(backoff, claimant, NOW + 1, defaultPolicy).outcome._tag).toBe("Claimed")
    const held = { ...done, status: "running" as const, leaseUntil: NOW + 2, retryAt: NOW + 1 }
    expect(claimPhase2(held, claimant, NOW, defaultPolicy).outcome._tag).toBe("SkippedBackoff")
    expect(claimPhase2({ ...held, retryAt: null }, claimant, NOW, defaultPolicy).outcome).toEqual({
      _tag: "SkippedRunning",
      leaseUntil: NOW + 2
    })
    expect(claimPhase2({ ...done, inputWatermark: null }, claimant, NOW + 6 * HOUR, defaultPolicy).outcome)
      .toMatchObject({ _tag: "Claimed", inputWatermark: 0 })
  })

  it("enqueueing makes a new pending job, or a pending one with a strictly newer watermark and its budget back", () => {
    expect(enqueuePhase2(undefined, 7, defaultPolicy)).toEqual({
      ...emptyJob(PHASE2_KIND, PHASE2_KEY, 3),
      inputWatermark: 7,
      lastSuccessWatermark: 0
    })
    const job: Job = { ...emptyJob(PHASE2_KIND, PHASE2_KEY, 0), status: "done", inputWatermark: 5 }
    expect(enqueuePhase2(job, 9, defaultPolicy)).toMatchObject({
      status: "pending",
      inputWatermark: 9,
      retryRemaining: 3
    })
    expect(enqueuePhase2(job, 5, defaultPolicy).inputWatermark).toBe(6)
    expect(enqueuePhase2({ ...job, inputWatermark: null }, 0, defaultPolicy).inputWatermark).toBe(1)
    expect(enqueuePhase2({ ...job, retryRemaining: 5 }, 9, defaultPolicy).retryRemaining).toBe(5)
  })
})

describe("memory job rules at time zero and before", () => {
  // Null must not read as 0: source times and clocks at or before the epoch are still times.
  it("a missing watermark, lease or output is absent, not zero", () => {
    const at = -13 * HOUR
    expect(isStage1Candidate(candidate({ updatedAt: at }), 0, defaultSelection)).toBe(true)
    expect(hasFreshLease(runningJob({ leaseUntil: null }), -10)).toBe(false)
    const claimed = claimStage1({
      job: undefined,
      key: "t",
      outputWatermark: null,
      sourceUpdatedAt: 0,
      runningOthers: 0,
      claimant,
      now: NOW,
      policy: defaultPolicy
    })
    expect(claimed.outcome._tag).toBe("Claimed")
    const neverGiven = { ...emptyJob(STAGE1_KIND, "t", 0), status: "error" as const }
    const input = {
      job: neverGiven,
      key: "t",
      outputWatermark: null,
      sourceUpdatedAt: 0,
      runningOthers: 0,
      claimant,
      now: NOW,
      policy: defaultPolicy
    }
    expect(claimStage1(input).outcome._tag).toBe("Claimed")
    const seen = { ...neverGiven, inputWatermark: 0, retryRemaining: 1 }
    expect(claimStage1({ ...input, job: seen, now: -10 }).outcome._tag).toBe("Claimed")
    expect(claimPhase2(emptyJob(PHASE2_KIND, PHASE2_KEY, 0), claimant, -10, defaultPolicy).outcome._tag).toBe("Claimed")
  })

  it("a job that never ran is pending with nothing set", () => {
    expect(emptyJob("k", "key", 2)).toEqual({
      kind: "k",
      key: "key",
      status: "pending",
      workerId: null,
      ownershipToken: null,
      startedAt: null,
      finishedAt: null,
      leaseUntil: null,
      retryAt: null,
      retryRemaining: 2,
      lastError: null,
      inputWatermark: null,
      lastSuccessWatermark: null
    })
  })

  it("ties are ranked by id descending whatever the input order", () => {
    const tied = ["c", "a", "e", "b", "d"].map((threadId) => candidate({ threadId }))
    for (const order of [tied, [...tied].reverse(), [tied[3]!, tied[0]!, tied[4]!, tied[1]!, tied[2]!]]) {
      expect(selectStage1(order, NOW, wideSelection).map((t) => t.threadId)).toEqual(["e", "d", "c", "b", "a"])
    }
  })
})
