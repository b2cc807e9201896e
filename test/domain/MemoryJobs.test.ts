import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  claimPhase2,
  claimStage1,
  defaultPolicy,
  defaultSelection,
  emptyJob,
  enqueuePhase2,
  fail,
  heartbeat,
  type Job,
  nextMemoryUpdatedAt,
  PHASE2_KEY,
  PHASE2_KIND,
  selectStage1,
  succeed
} from "../../src/domain/MemoryJobs.js"
import { runs } from "../fixtures/arbitraries.js"

const HOUR = 3_600_000
const who = { workerId: "w", token: "tok" }

const job = (overrides: Partial<Job> = {}): Job => ({
  ...emptyJob(PHASE2_KIND, PHASE2_KEY, 3),
  inputWatermark: 0,
  lastSuccessWatermark: 0,
  ...overrides
})

describe("memory job rules", () => {
  it("a failure by the owner consumes a retry, never below zero, and sets the backoff", () => {
    const owned = job({ status: "running", ownershipToken: "tok", leaseUntil: 10, retryRemaining: 0 })
    expect(fail(owned, "tok", 5, HOUR, "boom")).toMatchObject({
      status: "error",
      retryRemaining: 0,
      retryAt: 5 + HOUR,
      leaseUntil: null,
      lastError: "boom"
    })
    expect(fail(owned, "other", 5, HOUR, "boom")).toBeUndefined()
  })

  it("heartbeat and success belong to the owner while its lease is fresh", () => {
    const owned = job({ status: "running", ownershipToken: "tok", leaseUntil: 10 })
    expect(heartbeat(owned, "tok", 9, 100)?.leaseUntil).toBe(109)
    expect(heartbeat(owned, "tok", 10, 100)).toBeUndefined()
    expect(succeed(owned, "tok", 9, 4)).toMatchObject({
      status: "done",
      finishedAt: 9,
      lastSuccessWatermark: 4,
      leaseUntil: null
    })
    expect(succeed(undefined, "tok", 9, 4)).toBeUndefined()
  })

  it("enqueueing phase 2 advances its input watermark strictly and keeps a running job running and a backoff in place", () => {
    expect(enqueuePhase2(job({ inputWatermark: 50 }), 20, defaultPolicy).inputWatermark).toBe(51)
    expect(enqueuePhase2(job({ inputWatermark: 50 }), 80, defaultPolicy).inputWatermark).toBe(80)
    expect(enqueuePhase2(job({ status: "running" }), 1, defaultPolicy).status).toBe("running")
    expect(enqueuePhase2(job({ status: "error", retryAt: 99, retryRemaining: 0 }), 1, defaultPolicy)).toMatchObject({
      status: "pending",
      retryAt: 99,
      retryRemaining: 3
    })
  })

  it("a stage-1 claim for input the output already covers is up to date", () => {
    const decision = claimStage1({
      job: undefined,
      key: "t",
      outputWatermark: 10,
      sourceUpdatedAt: 10,
      runningOthers: 0,
      claimant: who,
      now: 0,
      policy: defaultPolicy
    })
    expect(decision).toEqual({ outcome: { _tag: "SkippedUpToDate" }, next: undefined })
  })

  it("thread memory updated_at is the clock's time, or one past the previous value when the clock has not moved past it", () => {
    expect(nextMemoryUpdatedAt(undefined, 5)).toBe(5)
    expect(nextMemoryUpdatedAt(5, 5)).toBe(6)
    expect(nextMemoryUpdatedAt(9, 5)).toBe(10)
    expect(nextMemoryUpdatedAt(3, 5)).toBe(5)
  })

  it("selection ranks newest first with ties broken by id, descending", () => {
    const thread = (threadId: string, updatedAt: number) => ({
      threadId,
      updatedAt,
      sourceKind: "cli",
      archived: false,
      memoryMode: null,
      outputWatermark: null,
      lastSuccessWatermark: null
    })
    const now = 100 * 24 * HOUR
    const picked = selectStage1(
      [thread("a", now - 20 * HOUR), thread("b", now - 20 * HOUR), thread("c", now - 13 * HOUR)],
      now,
      { ...defaultSelection, maxThreads: 64 }
    )
    expect(picked.map((t) => t.threadId)).toEqual(["c", "b", "a"])
    expect(selectStage1([thread("a", now - 20 * HOUR), thread("b", now - 20 * HOUR)], now, defaultSelection).length)
      .toBe(2)
  })

  const maybe = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: null })
  const phase2Arb = fc.record({
    status: fc.constantFrom("pending" as const, "running" as const, "done" as const, "error" as const),
    leaseUntil: maybe(fc.integer({ min: 0, max: 20 * HOUR })),
    retryAt: maybe(fc.integer({ min: 0, max: 20 * HOUR })),
    finishedAt: maybe(fc.integer({ min: 0, max: 20 * HOUR })),
    lastError: maybe(fc.constant("boom")),
    retryRemaining: fc.nat(3)
  }).map((o) => job({ ...o, ownershipToken: "someone" }))

  it("property: phase 2 is claimed exactly when no fresh lease exists, backoff has passed and no success finished within six hours, whatever the retry budget", () => {
    fc.assert(
      fc.property(phase2Arb, fc.integer({ min: 0, max: 20 * HOUR }), (row, now) => {
        const fresh = row.status === "running" && row.leaseUntil !== null && row.leaseUntil > now
        const backoff = row.retryAt !== null && row.retryAt > now
        const cooling = row.lastError === null && row.finishedAt !== null && now < row.finishedAt + 6 * HOUR
        const { next, outcome } = claimPhase2(row, who, now, defaultPolicy)
        expect(outcome._tag === "Claimed").toBe(!fresh && !backoff && !cooling)
        if (next !== undefined) {
          expect(next).toMatchObject({
            status: "running",
            ownershipToken: "tok",
            leaseUntil: now + HOUR,
            retryAt: null,
            retryRemaining: row.retryRemaining
          })
        }
      }),
      { numRuns: runs(2_000) }
    )
  })

  it("property: a stage-1 claim never takes a fresh lease, and without newer input it respects backoff and the retry budget", () => {
    fc.assert(
      fc.property(
        phase2Arb,
        fc.integer({ min: 0, max: 20 * HOUR }),
        fc.integer({ min: -2, max: 2 }),
        fc.nat(3),
        (row, now, delta, others) => {
          const stage1 = { ...row, kind: "memory_stage1", key: "t", inputWatermark: 10, lastSuccessWatermark: null }
          const source = 10 + delta
          const { next, outcome } = claimStage1({
            job: stage1,
            key: "t",
            outputWatermark: null,
            sourceUpdatedAt: source,
            runningOthers: others,
            claimant: who,
            now,
            policy: { ...defaultPolicy, maxRunningStage1: 2 }
          })
          const fresh = stage1.status === "running" && stage1.leaseUntil !== null && stage1.leaseUntil > now
          const advanced = source > 10
          const blocked = !advanced && ((stage1.retryAt !== null && stage1.retryAt > now) || stage1.retryRemaining <= 0)
          expect(outcome._tag === "Claimed").toBe(!fresh && !blocked && others < 2)
          if (next !== undefined) expect(next.retryRemaining).toBe(advanced ? 3 : stage1.retryRemaining)
        }
      ),
      { numRuns: runs(2_000) }
    )
  })
})
