import type * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import { PHASE2_KEY, PHASE2_KIND, STAGE1_KIND } from "../../../src/domain/MemoryJobs.js"
import type { SqlDatabase } from "../../../src/infra/sql/SqlDatabase.js"
import * as MemoryJobs from "../../../src/infra/stores/MemoryJobs.js"
import { dialects } from "../../fixtures/dialects.js"
import { insertThreads } from "../../fixtures/stateDatabase.js"
import { threadIdOf as tid } from "../../fixtures/threadIds.js"

const HOUR = 3_600_000
const DAY = 24 * HOUR

const claimed = <T extends { readonly _tag: string }>(outcome: T): Extract<T, { _tag: "Claimed" }> => {
  if (outcome._tag !== "Claimed") throw new Error(`expected a claim, got ${outcome._tag}`)
  return outcome as Extract<T, { _tag: "Claimed" }>
}

describe.each(dialects)("on $dialect", ({ layer }) => {
  const withJobs = <A, E>(
    use: (jobs: MemoryJobs.MemoryJobs) => Effect.Effect<A, E, SqlClient.SqlClient | SqlDatabase>
  ) => Effect.flatMap(MemoryJobs.make(), use).pipe(Effect.provide(layer()))

  describe("MemoryJobs phase 1", () => {
    it.effect("a claim hands out an ownership token and a lease, and another worker is skipped while the lease is fresh", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          const first = claimed(yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 100, workerId: "w1" }))
          expect(first).toMatchObject({ leaseUntil: HOUR, inputWatermark: 100 })
          yield* TestClock.adjust(HOUR - 1)
          expect(yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 100, workerId: "w2" })).toMatchObject({
            _tag: "SkippedRunning",
            leaseUntil: HOUR
          })
          // Newer input does not take over a fresh lease either.
          expect((yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 200, workerId: "w2" }))._tag).toBe(
            "SkippedRunning"
          )
          const job = Option.getOrThrow(yield* jobs.getJob(STAGE1_KIND, tid("t1")))
          expect(job).toMatchObject({
            status: "running",
            workerId: "w1",
            ownershipToken: first.ownershipToken,
            retryRemaining: 3
          })
        })
      ))

    it.effect("a stale lease can be reclaimed by another worker, and the first worker's finalise is then refused and changes nothing", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          yield* insertThreads([{ id: tid("t1") }])
          const first = claimed(yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 100, workerId: "w1" }))
          yield* TestClock.adjust(HOUR)
          const second = claimed(yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 100, workerId: "w2" }))
          const before = yield* jobs.getJob(STAGE1_KIND, tid("t1"))
          const refused = yield* Effect.flip(
            jobs.succeedStage1({
              threadId: tid("t1"),
              ownershipToken: first.ownershipToken,
              rawMemory: "stale",
              rolloutSummary: "stale"
            })
          )
          expect(refused).toMatchObject({
            _tag: "JobNotOwned",
            kind: STAGE1_KIND,
            key: tid("t1"),
            operation: "succeed stage 1"
          })
          expect(
            (yield* Effect.flip(
              jobs.failStage1({ threadId: tid("t1"), ownershipToken: first.ownershipToken, error: "x" })
            ))
              ._tag
          ).toBe("JobNotOwned")
          expect(
            (yield* Effect.flip(jobs.heartbeatStage1({ threadId: tid("t1"), ownershipToken: first.ownershipToken })))
              ._tag
          ).toBe("JobNotOwned")
          expect(yield* jobs.getJob(STAGE1_KIND, tid("t1"))).toEqual(before)
          expect(yield* jobs.getStage1Output(tid("t1"))).toEqual(Option.none())
          yield* jobs.succeedStage1({
            threadId: tid("t1"),
            ownershipToken: second.ownershipToken,
            rawMemory: "raw",
            rolloutSummary: "summary"
          })
          expect(Option.getOrThrow(yield* jobs.getStage1Output(tid("t1")))).toMatchObject({
            sourceUpdatedAt: 100,
            rawMemory: "raw",
            generatedAt: HOUR
          })
        })
      ))

    it.effect("an owner whose lease expired cannot heartbeat or finalise, even before anyone reclaims the job", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          const claim = claimed(yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 100, workerId: "w1" }))
          yield* TestClock.adjust(HOUR / 2)
          expect(yield* jobs.heartbeatStage1({ threadId: tid("t1"), ownershipToken: claim.ownershipToken })).toBe(
            HOUR / 2 + HOUR
          )
          yield* TestClock.adjust(HOUR)
          expect(
            (yield* Effect.flip(
              jobs.failStage1({ threadId: tid("t1"), ownershipToken: claim.ownershipToken, error: "late" })
            ))
              ._tag
          ).toBe("JobNotOwned")
          expect(Option.getOrThrow(yield* jobs.getJob(STAGE1_KIND, tid("t1"))).retryRemaining).toBe(3)
        })
      ))

    it.effect("a failure consumes a retry and backs off an hour; when the budget is spent only newer input is claimed, with a fresh budget", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          const claim = claimed(yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 100, workerId: "w1" }))
          expect(yield* jobs.failStage1({ threadId: tid("t1"), ownershipToken: claim.ownershipToken, error: "boom" }))
            .toBe(
              HOUR
            )
          expect(Option.getOrThrow(yield* jobs.getJob(STAGE1_KIND, tid("t1")))).toMatchObject({
            status: "error",
            retryRemaining: 2,
            retryAt: HOUR,
            lastError: "boom",
            leaseUntil: null
          })
          yield* TestClock.adjust(HOUR - 1)
          expect(yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 100, workerId: "w2" })).toMatchObject({
            _tag: "SkippedBackoff",
            retryAt: HOUR
          })
          yield* TestClock.adjust(1)
          for (let i = 0; i < 2; i++) {
            const retry = claimed(
              yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 100, workerId: "w2" })
            )
            yield* jobs.failStage1({
              threadId: tid("t1"),
              ownershipToken: retry.ownershipToken,
              error: "again",
              retryDelayMs: 0
            })
          }
          expect(Option.getOrThrow(yield* jobs.getJob(STAGE1_KIND, tid("t1"))).retryRemaining).toBe(0)
          expect((yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 100, workerId: "w2" }))._tag).toBe(
            "SkippedRetryExhausted"
          )
          claimed(yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 101, workerId: "w2" }))
          expect(Option.getOrThrow(yield* jobs.getJob(STAGE1_KIND, tid("t1")))).toMatchObject({
            retryRemaining: 3,
            inputWatermark: 101
          })
        })
      ))

    it.effect("success records the output as of the claimed source time, makes that input up to date and enqueues phase 2", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          yield* insertThreads([{ id: tid("t1") }])
          const claim = claimed(yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 500, workerId: "w1" }))
          yield* jobs.succeedStage1({
            threadId: tid("t1"),
            ownershipToken: claim.ownershipToken,
            rawMemory: "raw",
            rolloutSummary: "sum",
            rolloutSlug: "slug"
          })
          expect(Option.getOrThrow(yield* jobs.getJob(STAGE1_KIND, tid("t1")))).toMatchObject({
            status: "done",
            lastSuccessWatermark: 500,
            leaseUntil: null
          })
          expect(Option.getOrThrow(yield* jobs.getStage1Output(tid("t1")))).toEqual({
            threadId: tid("t1"),
            sourceUpdatedAt: 500,
            rawMemory: "raw",
            rolloutSummary: "sum",
            rolloutSlug: "slug",
            generatedAt: 0,
            selectedForPhase2: false
          })
          expect((yield* jobs.claimStage1({ threadId: tid("t1"), sourceUpdatedAt: 500, workerId: "w2" }))._tag).toBe(
            "SkippedUpToDate"
          )
          expect(Option.getOrThrow(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY))).toMatchObject({
            status: "pending",
            inputWatermark: 500,
            retryRemaining: 3
          })
        })
      ))

    it.effect("claims stop when the running limit is reached and resume when a lease frees up", () =>
      Effect.flatMap(MemoryJobs.make({ policy: { maxRunningStage1: 2 } }), (jobs) =>
        Effect.gen(function*() {
          const a = claimed(yield* jobs.claimStage1({ threadId: tid("a"), sourceUpdatedAt: 1, workerId: "w" }))
          claimed(yield* jobs.claimStage1({ threadId: tid("b"), sourceUpdatedAt: 1, workerId: "w" }))
          expect(yield* jobs.claimStage1({ threadId: tid("c"), sourceUpdatedAt: 1, workerId: "w" })).toMatchObject({
            _tag: "SkippedAtCapacity",
            running: 2
          })
          yield* jobs.failStage1({ threadId: tid("a"), ownershipToken: a.ownershipToken, error: "x" })
          claimed(yield* jobs.claimStage1({ threadId: tid("c"), sourceUpdatedAt: 1, workerId: "w" }))
        })).pipe(Effect.provide(layer())))

    it.effect("selection takes threads changed since their last output, newest first, within 30 days, idle 12 hours, interactive, live and not opted out", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(100 * DAY)
          const now = 100 * DAY
          yield* insertThreads([
            { id: tid("fresh-1"), updatedAt: now - DAY },
            { id: tid("fresh-2"), updatedAt: now - 2 * DAY },
            { id: tid("busy"), updatedAt: now - HOUR },
            { id: tid("old"), updatedAt: now - 31 * DAY },
            { id: tid("edge"), updatedAt: now - 30 * DAY },
            { id: tid("exec"), updatedAt: now - DAY, source: "exec" },
            { id: tid("archived"), updatedAt: now - DAY, archived: true },
            { id: tid("disabled"), updatedAt: now - DAY, memoryMode: "disabled" },
            { id: tid("enabled"), updatedAt: now - 3 * DAY, memoryMode: "enabled" },
            { id: tid("summarized"), updatedAt: now - DAY },
            { id: tid("me"), updatedAt: now - DAY }
          ])
          const claim = claimed(
            yield* jobs.claimStage1({ threadId: tid("summarized"), sourceUpdatedAt: now - DAY, workerId: "w" })
          )
          yield* jobs.succeedStage1({
            threadId: tid("summarized"),
            ownershipToken: claim.ownershipToken,
            rawMemory: "",
            rolloutSummary: ""
          })
          // The reference's older limits (the test's threads span 30 days); the defaults are 2 over 10 days.
          const selected = yield* jobs.selectStage1({ excludeThreadId: tid("me"), maxThreads: 64, maxAgeMs: 30 * DAY })
          expect(selected.map((t) => t.threadId)).toEqual([tid("fresh-1"), tid("fresh-2"), tid("enabled"), tid("edge")])
          expect(
            (yield* jobs.selectStage1({ excludeThreadId: tid("me"), maxThreads: 2, maxAgeMs: 30 * DAY })).map((t) =>
              t.threadId
            )
          )
            .toEqual([
              tid("fresh-1"),
              tid("fresh-2")
            ])
          // The summarized thread changes: it is selected again.
          yield* insertThreads([{ id: tid("summarized"), updatedAt: now - DAY + 1 }])
          expect(
            (yield* jobs.selectStage1({ excludeThreadId: tid("me"), maxThreads: 1, maxAgeMs: 30 * DAY })).map((t) =>
              t.threadId
            )
          )
            .toEqual([
              tid("summarized")
            ])
          const batch = yield* jobs.claimStage1Batch({
            workerId: "w",
            maxClaimed: 3,
            selection: { excludeThreadId: tid("me"), maxThreads: 64, maxAgeMs: 30 * DAY }
          })
          expect(batch.map((c) => c.thread.threadId)).toEqual([tid("summarized"), tid("fresh-1"), tid("fresh-2")])
          expect(
            yield* jobs.claimStage1Batch({
              workerId: "w2",
              maxClaimed: 3,
              selection: { excludeThreadId: tid("me"), maxThreads: 64, maxAgeMs: 30 * DAY }
            })
          )
            .toHaveLength(2)
        })
      ))
  })

  describe("MemoryJobs phase 2", () => {
    it.effect("phase 2 claim is skipped for six hours after a success", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          const claim = claimed(yield* jobs.claimPhase2({ workerId: "w1" }))
          yield* TestClock.adjust(1_000)
          yield* jobs.succeedPhase2({ ownershipToken: claim.ownershipToken, completedWatermark: 7 })
          expect(yield* jobs.claimPhase2({ workerId: "w2" })).toMatchObject({
            _tag: "SkippedCooldown",
            until: 1_000 + 6 * HOUR
          })
          yield* TestClock.adjust(6 * HOUR - 1)
          expect((yield* jobs.claimPhase2({ workerId: "w2" }))._tag).toBe("SkippedCooldown")
          yield* TestClock.adjust(1)
          expect(claimed(yield* jobs.claimPhase2({ workerId: "w2" })).inputWatermark).toBe(0)
          expect(Option.getOrThrow(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY)).lastSuccessWatermark).toBe(7)
        })
      ))

    it.effect("phase 2 stays claimable after its backoff even with the retry budget exhausted, and the counter never goes below zero", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          for (let attempt = 0; attempt < 5; attempt++) {
            const claim = claimed(yield* jobs.claimPhase2({ workerId: "w" }))
            const retryAt = yield* jobs.failPhase2({
              ownershipToken: claim.ownershipToken,
              error: `attempt ${attempt}`
            })
            const now = attempt * HOUR
            expect(retryAt).toBe(now + HOUR)
            expect(Option.getOrThrow(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY)).retryRemaining).toBe(
              Math.max(0, 2 - attempt)
            )
            expect(yield* jobs.claimPhase2({ workerId: "other" })).toMatchObject({ _tag: "SkippedBackoff", retryAt })
            yield* TestClock.adjust(HOUR)
          }
        })
      ))

    it.effect("the owner's heartbeat extends its lease; a running lease blocks other claims, and a non-owner's finalise changes nothing", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          const claim = claimed(yield* jobs.claimPhase2({ workerId: "w1" }))
          yield* TestClock.adjust(HOUR - 10)
          expect(yield* jobs.heartbeatPhase2({ ownershipToken: claim.ownershipToken })).toBe(2 * HOUR - 10)
          yield* TestClock.adjust(HOUR - 20)
          expect(yield* jobs.claimPhase2({ workerId: "w2" })).toMatchObject({
            _tag: "SkippedRunning",
            leaseUntil: 2 * HOUR - 10
          })
          const before = yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY)
          expect((yield* Effect.flip(jobs.succeedPhase2({ ownershipToken: "forged", completedWatermark: 9 })))._tag)
            .toBe(
              "JobNotOwned"
            )
          expect((yield* Effect.flip(jobs.failPhase2({ ownershipToken: "forged", error: "x" })))._tag).toBe(
            "JobNotOwned"
          )
          expect((yield* Effect.flip(jobs.heartbeatPhase2({ ownershipToken: "forged" })))._tag).toBe("JobNotOwned")
          expect(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY)).toEqual(before)
          // The lease lapses without a heartbeat: another worker takes over, with no cooldown.
          yield* TestClock.adjust(19)
          expect((yield* jobs.claimPhase2({ workerId: "w2" }))._tag).toBe("SkippedRunning")
          yield* TestClock.adjust(1)
          const takeover = claimed(yield* jobs.claimPhase2({ workerId: "w2" }))
          expect((yield* Effect.flip(jobs.heartbeatPhase2({ ownershipToken: claim.ownershipToken })))._tag).toBe(
            "JobNotOwned"
          )
          yield* jobs.succeedPhase2({ ownershipToken: takeover.ownershipToken, completedWatermark: 0 })
        })
      ))

    it.effect("a phase 2 success marks exactly the selected stage-1 outputs as its baseline", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          yield* insertThreads([{ id: tid("a") }, { id: tid("b") }])
          for (const id of [tid("a"), tid("b")]) {
            const claim = claimed(yield* jobs.claimStage1({ threadId: id, sourceUpdatedAt: 10, workerId: "w" }))
            yield* jobs.succeedStage1({
              threadId: id,
              ownershipToken: claim.ownershipToken,
              rawMemory: id,
              rolloutSummary: id
            })
          }
          const phase2 = claimed(yield* jobs.claimPhase2({ workerId: "w" }))
          expect(phase2.inputWatermark).toBe(11)
          yield* jobs.succeedPhase2({
            ownershipToken: phase2.ownershipToken,
            completedWatermark: phase2.inputWatermark,
            selected: [{ threadId: tid("b"), sourceUpdatedAt: 10 }]
          })
          expect(Option.getOrThrow(yield* jobs.getStage1Output(tid("a"))).selectedForPhase2).toBe(false)
          expect(Option.getOrThrow(yield* jobs.getStage1Output(tid("b"))).selectedForPhase2).toBe(true)
        })
      ))
  })
})
