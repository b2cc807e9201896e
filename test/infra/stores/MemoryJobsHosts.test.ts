/** Memory jobs claimed by two hosts at once, each on its own connection to one database (issue 20). */
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { MemoryJobPolicy } from "../../../src/domain/MemoryJobs.js"
import { SqlDatabase } from "../../../src/infra/sql/SqlDatabase.js"
import * as MemoryJobs from "../../../src/infra/stores/MemoryJobs.js"
import { dialects } from "../../fixtures/dialects.js"
import { insertThreads } from "../../fixtures/stateDatabase.js"
import { threadIdOf as tid } from "../../fixtures/threadIds.js"

const ROUNDS = 20
const THREADS = Array.from({ length: ROUNDS }, (_, i) => tid(`t${i}`))

/** The index of the one claim that won, and its claim. */
const winnerOf = <T extends { readonly _tag: string }>(outcomes: ReadonlyArray<T>) => {
  const winner = outcomes.findIndex((o) => o._tag === "Claimed")
  return [winner, outcomes[winner] as Extract<T, { readonly _tag: "Claimed" }>] as const
}

describe.each(dialects)("memory jobs across hosts on $dialect", ({ shared }) => {
  const twoHosts = (policy: Partial<MemoryJobPolicy> = {}) =>
    Effect.gen(function*() {
      const database = yield* shared
      const hosts = yield* Effect.forEach(["host-a", "host-b"], (hostId) =>
        Effect.flatMap(
          database.connect({ hostId }),
          (db) => MemoryJobs.make({ policy }).pipe(Effect.provideService(SqlDatabase, db))
        ))
      const db = yield* database.connect()
      yield* insertThreads(THREADS.map((id) => ({ id }))).pipe(Effect.provideService(SqlClient.SqlClient, db.sql))
      return hosts
    })

  it.live("two hosts claiming the same phase-1 job at once: exactly one wins, every time", () =>
    Effect.scoped(Effect.gen(function*() {
      const hosts = yield* twoHosts()
      for (const threadId of THREADS) {
        const outcomes = yield* Effect.all(
          hosts.map((jobs, i) => jobs.claimStage1({ threadId, sourceUpdatedAt: 1, workerId: `w${i}` })),
          { concurrency: "unbounded" }
        )
        expect(outcomes.map((o) => o._tag).sort()).toEqual(["Claimed", "SkippedRunning"])
      }
    })))

  it.live("the running limit holds across hosts: claims of two threads at once with room for one, one wins", () =>
    Effect.scoped(Effect.gen(function*() {
      const hosts = yield* twoHosts({ maxRunningStage1: 1 })
      for (let round = 0; round < ROUNDS / 2; round++) {
        const pair = [THREADS[2 * round]!, THREADS[2 * round + 1]!]
        const outcomes = yield* Effect.all(
          hosts.map((jobs, i) => jobs.claimStage1({ threadId: pair[i]!, sourceUpdatedAt: 1, workerId: `w${i}` })),
          { concurrency: "unbounded" }
        )
        expect(outcomes.map((o) => o._tag).sort()).toEqual(["Claimed", "SkippedAtCapacity"])
        const [winner, claim] = winnerOf(outcomes)
        yield* hosts[winner]!.succeedStage1({
          threadId: pair[winner]!,
          ownershipToken: claim.ownershipToken,
          rawMemory: "m",
          rolloutSummary: "s"
        })
      }
    })))

  it.live("two hosts claiming the phase-2 lock at once: exactly one wins, every time", () =>
    Effect.scoped(Effect.gen(function*() {
      const hosts = yield* twoHosts({ phase2CooldownMs: 0 })
      for (const threadId of THREADS) {
        // A new output enqueues the global job again.
        const produced = yield* hosts[0]!.claimStage1({ threadId, sourceUpdatedAt: 1, workerId: "w" })
        if (produced._tag !== "Claimed") throw new Error(produced._tag)
        yield* hosts[0]!.succeedStage1({
          threadId,
          ownershipToken: produced.ownershipToken,
          rawMemory: "m",
          rolloutSummary: "s"
        })
        const outcomes = yield* Effect.all(
          hosts.map((jobs, i) => jobs.claimPhase2({ workerId: `w${i}` })),
          { concurrency: "unbounded" }
        )
        expect(outcomes.map((o) => o._tag).sort()).toEqual(["Claimed", "SkippedRunning"])
        const [winner, claim] = winnerOf(outcomes)
        yield* hosts[winner]!.succeedPhase2({
          ownershipToken: claim.ownershipToken,
          completedWatermark: claim.inputWatermark
        })
      }
    })))
})
