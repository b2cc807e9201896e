/** A phase-2 run over the real workspace: claim, sync, diff, consolidate, reset (SPEC §11; issue 17 items 4, 5). */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import * as fs from "node:fs"
import { join } from "node:path"
import { PHASE2_KEY, PHASE2_KIND } from "../../../src/domain/MemoryJobs.js"
import { WORKSPACE_DIFF_FILE } from "../../../src/domain/MemoryWorkspace.js"
import { MemoryJobs } from "../../../src/infra/stores/MemoryJobs.js"
import { type Consolidation, run } from "../../../src/infra/stores/MemoryPhase2.js"
import { MemoryWorkspace } from "../../../src/infra/stores/MemoryWorkspace.js"
import { dialects } from "../../fixtures/dialects.js"
import { tempHome, workspaceLayer } from "../../fixtures/memoryWorkspace.js"
import { insertThreads } from "../../fixtures/stateDatabase.js"
import { threadIdOf as tid } from "../../fixtures/threadIds.js"

const HOUR = 3_600_000

/** Thread `name`'s stage-1 output `text` as of `source`. */
const produce = (jobs: MemoryJobs, name: string, source: number, text = `- ${name} likes tests`) =>
  Effect.gen(function*() {
    yield* insertThreads([{ id: tid(name), updatedAt: source }])
    const claim = yield* jobs.claimStage1({ threadId: tid(name), sourceUpdatedAt: source, workerId: "p1" })
    if (claim._tag !== "Claimed") throw new Error(claim._tag)
    yield* jobs.succeedStage1({
      threadId: tid(name),
      ownershipToken: claim.ownershipToken,
      rawMemory: text,
      rolloutSummary: `summary of ${name}`
    })
  })

const job = (jobs: MemoryJobs) => Effect.map(jobs.getJob(PHASE2_KIND, PHASE2_KEY), Option.getOrThrow)
const never = () => Effect.die("consolidate must not be called")

describe.each(dialects)("on $dialect", ({ layer }) => {
  const withPhase2 = <A, E, R>(
    use: (ctx: { readonly jobs: MemoryJobs; readonly workspace: MemoryWorkspace }) => Effect.Effect<A, E, R>
  ) =>
    Effect.gen(function*() {
      const home = yield* tempHome
      return yield* Effect.gen(function*() {
        return yield* use({ jobs: yield* MemoryJobs, workspace: yield* MemoryWorkspace })
      }).pipe(Effect.provide(workspaceLayer(home, undefined, layer())))
    })

  describe("MemoryPhase2.run", () => {
    it.scoped("consolidates a dirty workspace, resets the baseline and succeeds; a clean one is skipped; a manual edit is consolidated", () =>
      withPhase2(({ jobs, workspace }) =>
        Effect.gen(function*() {
          yield* produce(jobs, "ann", 10)
          yield* produce(jobs, "bob", 20)
          const seen: Array<Consolidation> = []
          const first = yield* run({
            workerId: "w1",
            consolidate: (c) =>
              Effect.sync(() => {
                seen.push(c)
                // The host's agent reads the diff file and edits the memory files.
                expect(fs.readFileSync(join(c.root, WORKSPACE_DIFF_FILE), "utf8")).toContain("+- bob likes tests")
                fs.writeFileSync(join(c.root, "MEMORY.md"), "# Memory\n- ann and bob like tests\n")
              })
          })
          expect(first._tag).toBe("Consolidated")
          expect(seen.map((c) => c.inputs.map((i) => i.threadId))).toEqual([[tid("ann"), tid("bob")]])
          expect(first).toMatchObject({ selected: 2 })
          expect(yield* workspace.history).toEqual([first._tag === "Consolidated" ? first.baseline : ""])
          expect(yield* workspace.diff).toMatchObject({ dirty: false })
          expect(fs.existsSync(join(workspace.root, WORKSPACE_DIFF_FILE))).toBe(false)
          expect(yield* job(jobs)).toMatchObject({ status: "done", lastError: null, lastSuccessWatermark: 20 })
          expect(Option.getOrThrow(yield* jobs.getStage1Output(tid("ann"))).selectedForPhase2).toBe(true)

          // Within the cooldown: not claimed, nothing touched.
          expect((yield* run({ workerId: "w1", consolidate: never }))._tag).toBe("NotClaimed")
          yield* TestClock.adjust(6 * HOUR)
          // The same inputs after the cooldown: the workspace is not dirty, so the job succeeds without consolidating.
          expect(yield* run({ workerId: "w1", consolidate: never })).toMatchObject({ _tag: "NotDirty", selected: 2 })
          expect(yield* workspace.history).toHaveLength(1)

          yield* TestClock.adjust(6 * HOUR)
          fs.writeFileSync(join(workspace.root, "MEMORY.md"), "# Memory\n- edited by hand\n")
          const third = yield* run({ workerId: "w1", consolidate: () => Effect.void })
          expect(third).toMatchObject({ _tag: "Consolidated", changes: [{ path: "MEMORY.md", status: "modified" }] })
        })
      ))

    it.scoped("a failed consolidation marks the job failed with backoff and keeps the baseline", () =>
      withPhase2(({ jobs, workspace }) =>
        Effect.gen(function*() {
          yield* produce(jobs, "ann", 10)
          const outcome = yield* run({ workerId: "w1", consolidate: () => Effect.fail("agent crashed") })
          expect(outcome).toMatchObject({
            _tag: "Failed",
            step: "consolidate",
            error: "agent crashed",
            lostOwnership: false
          })
          expect(yield* job(jobs)).toMatchObject({ status: "error", retryAt: HOUR, retryRemaining: 2 })
          expect(yield* workspace.history).toHaveLength(1)
          expect((yield* workspace.diff).dirty).toBe(true)
          expect((yield* run({ workerId: "w1", consolidate: never }))._tag).toBe("NotClaimed")
        })
      ))

    it.scoped("a worker that lost the lock while consolidating does not reset the baseline nor touch the new owner's job", () =>
      withPhase2(({ jobs, workspace }) =>
        Effect.gen(function*() {
          yield* produce(jobs, "ann", 10)
          const outcome = yield* run({
            workerId: "w1",
            // A stalled worker: no heartbeat within the lease.
            heartbeatMs: 2 * HOUR,
            consolidate: () =>
              Effect.gen(function*() {
                yield* TestClock.adjust(HOUR + 1)
                expect((yield* jobs.claimPhase2({ workerId: "w2" }))._tag).toBe("Claimed")
              })
          })
          expect(outcome).toMatchObject({ _tag: "Failed", step: "reset baseline", lostOwnership: true })
          expect(yield* workspace.history).toHaveLength(1)
          expect((yield* workspace.diff).dirty).toBe(true)
          expect(yield* job(jobs)).toMatchObject({ status: "running", workerId: "w2", lastError: null })
        })
      ))

    it.scoped("heartbeats keep the lock while a consolidation outlasts the lease", () =>
      withPhase2(({ jobs }) =>
        Effect.gen(function*() {
          yield* produce(jobs, "ann", 10)
          const outcome = yield* run({
            workerId: "w1",
            heartbeatMs: 10 * 60_000,
            consolidate: () =>
              Effect.gen(function*() {
                for (let i = 0; i < 9; i++) yield* TestClock.adjust(10 * 60_000)
                expect((yield* jobs.claimPhase2({ workerId: "w2" }))._tag).toBe("SkippedRunning")
              })
          })
          expect(outcome._tag).toBe("Consolidated")
        })
      ))
  })
})
