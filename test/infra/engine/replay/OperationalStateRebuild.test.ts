import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../../../src/infra/engine/Engine.js"
import * as MemoryJobs from "../../../../src/infra/stores/MemoryJobs.js"
import * as ThreadGoals from "../../../../src/infra/stores/ThreadGoals.js"
import * as ThreadMemories from "../../../../src/infra/stores/ThreadMemories.js"

describe("operational state and rebuild", () => {
  it.live("thread memory and goals survive a rebuild", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "operational-"))
      const paths = { home: join(dir, "home"), database: join(dir, "state.sqlite") }
      const stores = Layer.mergeAll(ThreadMemories.layer, ThreadGoals.layer, MemoryJobs.layer())
      const program = Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const memories = yield* ThreadMemories.ThreadMemories
        const goals = yield* ThreadGoals.ThreadGoals
        const jobs = yield* MemoryJobs.MemoryJobs
        const created = yield* engine.createThread({ cwd: "/work/app", source: "cli" })
        const threadId = created.metadata.id
        yield* engine.append(threadId, [{
          type: "event_msg",
          payload: { type: "user_message", message: "remember me" }
        }])
        const memory = yield* memories.upsert({ threadId, traceSummary: "trace", memorySummary: "memory" })
        const goal = yield* goals.create({ threadId, objective: "finish", tokenBudget: 10 })
        const claim = yield* jobs.claimStage1({ threadId, sourceUpdatedAt: 1, workerId: "w" })
        if (claim._tag !== "Claimed") throw new Error(`expected a claim, got ${claim._tag}`)
        yield* jobs.succeedStage1({
          threadId,
          ownershipToken: claim.ownershipToken,
          rawMemory: "raw",
          rolloutSummary: "sum"
        })
        const output = yield* jobs.getStage1Output(threadId)

        const report = yield* engine.rebuild()
        expect(report.status).toBe("complete")
        expect((yield* engine.getThread(threadId))?.metadata.title).toBe("remember me")
        expect(yield* memories.get(threadId)).toEqual(Option.some(memory))
        expect(yield* memories.recentForCwd({ cwd: "/work/app", limit: 5 })).toEqual([memory])
        expect(yield* goals.get(threadId)).toEqual(Option.some(goal))
        expect(yield* jobs.getStage1Output(threadId)).toEqual(output)
        expect(Option.isSome(output)).toBe(true)
      })
      yield* program.pipe(Effect.provide(stores.pipe(Layer.provideMerge(Layer.fresh(Engine.layer(paths))))))
    }))
})
