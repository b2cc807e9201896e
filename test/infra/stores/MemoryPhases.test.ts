/** Memory phases 1 and 2 at parity with the reference (SPEC §11; issue 17 items 3 and 4). */
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import { defaultSelection, PHASE2_KEY, PHASE2_KIND, STAGE1_KIND } from "../../../src/domain/MemoryJobs.js"
import type { SqlDatabase } from "../../../src/infra/sql/SqlDatabase.js"
import * as MemoryJobs from "../../../src/infra/stores/MemoryJobs.js"
import * as ThreadMemories from "../../../src/infra/stores/ThreadMemories.js"
import { dialects } from "../../fixtures/dialects.js"
import { insertThreads } from "../../fixtures/stateDatabase.js"
import { threadIdOf as tid } from "../../fixtures/threadIds.js"

const HOUR = 3_600_000
const DAY = 24 * HOUR

const claimed = <T extends { readonly _tag: string }>(outcome: T): Extract<T, { _tag: "Claimed" }> => {
  if (outcome._tag !== "Claimed") throw new Error(`expected a claim, got ${outcome._tag}`)
  return outcome as Extract<T, { _tag: "Claimed" }>
}

/** Claims and succeeds thread `id`'s phase-1 job with output `text` as of `source`. */
const produce = (jobs: MemoryJobs.MemoryJobs, id: string, source: number, text = `memory of ${id}`) =>
  Effect.gen(function*() {
    const claim = claimed(yield* jobs.claimStage1({ threadId: id, sourceUpdatedAt: source, workerId: "w" }))
    yield* jobs.succeedStage1({
      threadId: id,
      ownershipToken: claim.ownershipToken,
      rawMemory: text,
      rolloutSummary: text
    })
  })

describe.each(dialects)("on $dialect", ({ layer }) => {
  const withJobs = <A, E>(
    use: (jobs: MemoryJobs.MemoryJobs) => Effect.Effect<A, E, SqlClient.SqlClient | SqlDatabase>
  ) => Effect.flatMap(MemoryJobs.make(), use).pipe(Effect.provide(layer()))

  describe("memory phase 1 at parity", () => {
    it("the startup selection defaults are the newest seeds': at most 2 rollouts over 10 days", () => {
      expect(defaultSelection).toMatchObject({ maxThreads: 2, maxAgeMs: 10 * DAY })
    })

    it.effect("succeeded with no output marks the job done, deletes an old output and enqueues phase 2 only then", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          yield* insertThreads([{ id: tid("a") }, { id: tid("b") }])
          // No output before: done, nothing stored, phase 2 not enqueued.
          const first = claimed(yield* jobs.claimStage1({ threadId: tid("a"), sourceUpdatedAt: 10, workerId: "w" }))
          yield* jobs.succeedStage1NoOutput({ threadId: tid("a"), ownershipToken: first.ownershipToken })
          expect(Option.getOrThrow(yield* jobs.getJob(STAGE1_KIND, tid("a")))).toMatchObject({
            status: "done",
            lastSuccessWatermark: 10
          })
          expect(yield* jobs.getStage1Output(tid("a"))).toEqual(Option.none())
          expect(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY)).toEqual(Option.none())
          // Up to date now: the same source time is not claimed again.
          expect((yield* jobs.claimStage1({ threadId: tid("a"), sourceUpdatedAt: 10, workerId: "w" }))._tag).toBe(
            "SkippedUpToDate"
          )
          // An output before: it is deleted and phase 2 is enqueued (to forget it).
          yield* produce(jobs, tid("b"), 20)
          const enqueued = Option.getOrThrow(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY)).inputWatermark!
          const second = claimed(yield* jobs.claimStage1({ threadId: tid("b"), sourceUpdatedAt: 30, workerId: "w" }))
          yield* jobs.succeedStage1NoOutput({ threadId: tid("b"), ownershipToken: second.ownershipToken })
          expect(yield* jobs.getStage1Output(tid("b"))).toEqual(Option.none())
          expect(Option.getOrThrow(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY)).inputWatermark).toBeGreaterThan(
            enqueued
          )
          // A token that does not own the job changes nothing.
          expect(
            (yield* Effect.flip(jobs.succeedStage1NoOutput({ threadId: tid("b"), ownershipToken: "forged" })))._tag
          ).toBe("JobNotOwned")
        })
      ))

    it.effect("retention prunes outputs unused for longer than the limit, stalest first, never the phase-2 baseline", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          const ids = [tid("old"), tid("older"), tid("used"), tid("base"), tid("new")]
          yield* insertThreads(ids.map((id) => ({ id })))
          yield* produce(jobs, tid("older"), 1)
          yield* produce(jobs, tid("old"), 2)
          yield* produce(jobs, tid("used"), 3)
          yield* produce(jobs, tid("base"), 4)
          yield* TestClock.adjust(40 * DAY)
          yield* produce(jobs, tid("new"), 40 * DAY)
          yield* jobs.recordStage1Usage([tid("used")])
          const phase2 = claimed(yield* jobs.claimPhase2({ workerId: "w" }))
          yield* jobs.succeedPhase2({
            ownershipToken: phase2.ownershipToken,
            completedWatermark: phase2.inputWatermark,
            selected: [{ threadId: tid("base"), sourceUpdatedAt: 4 }]
          })
          expect(yield* jobs.pruneStage1Outputs({ maxUnusedMs: 30 * DAY, limit: 1 })).toBe(1)
          expect(yield* jobs.getStage1Output(tid("older"))).toEqual(Option.none())
          expect(yield* jobs.pruneStage1Outputs({ maxUnusedMs: 30 * DAY })).toBe(1)
          const left = yield* Effect.forEach(ids, (id) => Effect.map(jobs.getStage1Output(id), Option.isSome))
          expect(left).toEqual([false, false, true, true, true])
          expect((yield* Effect.flip(jobs.pruneStage1Outputs({ limit: -1 })))._tag).toBe("InvalidInput")
        })
      ))

    it.effect("marking a thread's memory polluted takes it out of the selections and enqueues phase 2 when it is in the baseline", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          yield* insertThreads([{ id: tid("a") }, { id: tid("b") }])
          yield* produce(jobs, tid("a"), 1)
          yield* produce(jobs, tid("b"), 2)
          const phase2 = claimed(yield* jobs.claimPhase2({ workerId: "w" }))
          const inputs = yield* jobs.selectPhase2Inputs()
          yield* jobs.succeedPhase2({
            ownershipToken: phase2.ownershipToken,
            completedWatermark: phase2.inputWatermark,
            selected: inputs.selected
          })
          const before = Option.getOrThrow(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY))
          expect(yield* jobs.markThreadPolluted(tid("a"))).toBe(true)
          expect(yield* jobs.markThreadPolluted(tid("a"))).toBe(false)
          const after = Option.getOrThrow(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY))
          expect(after.status).toBe("pending")
          expect(after.inputWatermark!).toBeGreaterThan(before.inputWatermark!)
          const sql = yield* SqlClient.SqlClient
          expect(yield* sql`SELECT memory_mode FROM threads WHERE id = ${tid("a")}`).toEqual([{
            memory_mode: "polluted"
          }])
          const next = yield* jobs.selectPhase2Inputs()
          expect(next.selected.map((i) => i.threadId)).toEqual([tid("b")])
          expect(next).toMatchObject({ removed: [{ threadId: tid("a"), sourceUpdatedAt: 1 }], dirty: true })
          expect((yield* Effect.flip(jobs.markThreadPolluted("nope")))._tag).toBe("InvalidInput")
        })
      ))

    it.effect("a rewrite in the same millisecond as an older write of another thread comes first in last N for a cwd", () =>
      Effect.gen(function*() {
        const memories = yield* ThreadMemories.make
        yield* insertThreads([{ id: tid("a"), cwd: "/w" }, { id: tid("z"), cwd: "/w" }])
        yield* TestClock.adjust(1_000)
        yield* memories.upsert({ threadId: tid("a"), traceSummary: "t", memorySummary: "a1" })
        yield* memories.upsert({ threadId: tid("z"), traceSummary: "t", memorySummary: "z1" })
        // Same millisecond: a's rewrite is the newest write, though z sorts after a.
        yield* memories.upsert({ threadId: tid("a"), traceSummary: "t", memorySummary: "a2" })
        const recent = yield* memories.recentForCwd({ cwd: "/w", limit: 2 })
        expect(recent.map((m) => m.memorySummary)).toEqual(["a2", "z1"])
      }).pipe(Effect.provide(layer())))
  })

  describe("memory phase 2 at parity", () => {
    it.effect("input selection ranks by usage, then recency, keeps the best within the limits, returns them by thread id", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          const ids = ["c", "a", "b", "d", "e", "blank"].map((n) => tid(n))
          yield* insertThreads(ids.map((id) => ({ id })))
          yield* TestClock.adjust(20 * DAY)
          const now = 20 * DAY
          yield* produce(jobs, tid("a"), now - 1 * DAY)
          yield* produce(jobs, tid("b"), now - 2 * DAY)
          yield* produce(jobs, tid("c"), now - 3 * DAY)
          yield* produce(jobs, tid("d"), now - 15 * DAY)
          yield* produce(jobs, tid("e"), now - 4 * DAY)
          yield* produce(jobs, tid("blank"), now - 1, "  ")
          // c used twice, e once: they outrank fresher unused outputs.
          expect(yield* jobs.recordStage1Usage([tid("c"), tid("e"), tid("ghost")])).toBe(2)
          yield* jobs.recordStage1Usage([tid("c")])
          const top3 = yield* jobs.selectPhase2Inputs({ maxInputs: 3, maxUnusedMs: 10 * DAY })
          expect(top3.selected.map((i) => [i.threadId, i.usageCount])).toEqual(
            [[tid("a"), 0], [tid("c"), 2], [tid("e"), 1]].sort((x, y) => String(x[0]).localeCompare(String(y[0])))
          )
          expect(top3.dirty).toBe(true)
          // d is too old unused; blank has nothing to consolidate.
          const all = yield* jobs.selectPhase2Inputs({ maxUnusedMs: 10 * DAY })
          expect(all.selected.map((i) => i.threadId).sort()).toEqual([tid("a"), tid("b"), tid("c"), tid("e")].sort())
          expect([all.selected[0]?.cwd, all.selected[0]?.rolloutPath.endsWith(".jsonl")]).toEqual(["/work", true])
          expect((yield* Effect.flip(jobs.selectPhase2Inputs({ maxInputs: -1 })))._tag).toBe("InvalidInput")
        })
      ))

    it.effect("a selection equal to the last consolidation's baseline is not dirty: nothing to consolidate", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          yield* insertThreads([{ id: tid("a") }, { id: tid("b") }])
          expect(yield* jobs.selectPhase2Inputs()).toEqual({ selected: [], removed: [], dirty: false })
          yield* produce(jobs, tid("a"), 1)
          yield* produce(jobs, tid("b"), 2)
          const claim = claimed(yield* jobs.claimPhase2({ workerId: "w" }))
          const inputs = yield* jobs.selectPhase2Inputs()
          expect(inputs.dirty).toBe(true)
          yield* jobs.succeedPhase2({
            ownershipToken: claim.ownershipToken,
            completedWatermark: claim.inputWatermark,
            selected: inputs.selected
          })
          expect((yield* jobs.selectPhase2Inputs()).dirty).toBe(false)
          // A regenerated output is new input: dirty again.
          yield* produce(jobs, tid("b"), 3)
          expect((yield* jobs.selectPhase2Inputs()).dirty).toBe(true)
        })
      ))

    it.effect("failed-if-unowned fails a running job whose lease expired or that has no token, never one another worker holds", () =>
      withJobs((jobs) =>
        Effect.gen(function*() {
          const first = claimed(yield* jobs.claimPhase2({ workerId: "w1" }))
          yield* TestClock.adjust(HOUR + 1)
          // The lease expired: the owned failure is refused, the recovery is not.
          expect((yield* Effect.flip(jobs.failPhase2({ ownershipToken: first.ownershipToken, error: "x" })))._tag).toBe(
            "JobNotOwned"
          )
          const retryAt = yield* jobs.failPhase2IfUnowned({ ownershipToken: first.ownershipToken, error: "lost" })
          expect(retryAt).toBe(HOUR + 1 + HOUR)
          expect(Option.getOrThrow(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY))).toMatchObject({
            status: "error",
            lastError: "lost",
            retryRemaining: 2
          })
          yield* TestClock.adjust(HOUR)
          const second = claimed(yield* jobs.claimPhase2({ workerId: "w2" }))
          expect(
            (yield* Effect.flip(jobs.failPhase2IfUnowned({ ownershipToken: first.ownershipToken, error: "stale" })))
              ._tag
          ).toBe("JobNotOwned")
          expect(Option.getOrThrow(yield* jobs.getJob(PHASE2_KIND, PHASE2_KEY))).toMatchObject({
            status: "running",
            ownershipToken: second.ownershipToken
          })
        })
      ))
  })
})
