import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Either, FastCheck as fc, Option, type Scope, TestClock, TestContext } from "effect"
import { copyFileSync } from "node:fs"
import * as Rules from "../../../src/domain/MemoryJobs.js"
import {
  defaultPolicy,
  type Job,
  type MemoryJobPolicy,
  PHASE2_KEY,
  PHASE2_KIND,
  STAGE1_KIND
} from "../../../src/domain/MemoryJobs.js"
import { SqlDatabase } from "../../../src/infra/sql/SqlDatabase.js"
import * as MemoryJobs from "../../../src/infra/stores/MemoryJobs.js"
import { runs } from "../../fixtures/arbitraries.js"
import { pg } from "../../fixtures/dialects.js"
import { connect, insertThreads, tempDatabaseFile } from "../../fixtures/stateDatabase.js"
import { threadIdOf as tid } from "../../fixtures/threadIds.js"

const HOUR = 3_600_000
const THREADS = [tid("t1"), tid("t2")] as const
// Few workers and threads, so steps meet the same jobs: the states a broken rule shows in (a
// claim over a fresh lease, a non-owner finalising, a no-output success after an output) need
// several steps on one job, and at the default run count they must come up in most runs.
const WORKERS = 3
// One running phase-1 job at a time, so capacity is exercised with two threads; leases long
// enough that owners often finish before they lapse, short enough that many lapse.
const policy: MemoryJobPolicy = {
  ...defaultPolicy,
  maxRunningStage1: 1,
  stage1LeaseMs: 4 * HOUR,
  phase2LeaseMs: 4 * HOUR
}

/** A claim's source time against the thread's newest: newer input is what re-opens a finished job. */
type Source = "newer" | "same" | "older"

type Op =
  | { readonly kind: "claim1"; readonly thread: string; readonly source: Source }
  | { readonly kind: "heartbeat1" | "succeed1" | "succeed1NoOutput"; readonly thread: string }
  | { readonly kind: "fail1"; readonly thread: string; readonly delayMs: number }
  | { readonly kind: "claim2" | "heartbeat2" | "succeed2" }
  | { readonly kind: "fail2" | "fail2IfUnowned"; readonly delayMs: number }
  | { readonly kind: "prune"; readonly maxUnusedMs: number }

// Mostly the first thread, so one job goes through claim, success and re-claim in a run; the
// second is there for capacity.
const threadArb = fc.oneof({ weight: 4, arbitrary: fc.constant(THREADS[0]) }, {
  weight: 1,
  arbitrary: fc.constant(THREADS[1])
})
const delayArb = fc.constantFrom(0, 10 * 60_000, HOUR, HOUR)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      thread: threadArb,
      source: fc.constantFrom<Source>("newer", "newer", "same", "older")
    }).map((o) => ({ kind: "claim1" as const, ...o }))
  },
  { weight: 1, arbitrary: threadArb.map((thread) => ({ kind: "heartbeat1" as const, thread })) },
  { weight: 2, arbitrary: threadArb.map((thread) => ({ kind: "succeed1" as const, thread })) },
  {
    // Often enough to meet a thread that has an output from an earlier success.
    weight: 2,
    arbitrary: threadArb.map((thread) => ({ kind: "succeed1NoOutput" as const, thread }))
  },
  {
    weight: 2,
    arbitrary: fc.record({ thread: threadArb, delayMs: delayArb }).map((o) => ({ kind: "fail1" as const, ...o }))
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constantFrom("claim2" as const, "heartbeat2" as const, "succeed2" as const) })
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constantFrom("fail2" as const, "fail2IfUnowned" as const), delayMs: delayArb })
  },
  {
    weight: 1,
    // Rarely everything older than now: an output pruned at once cannot meet a no-output success.
    arbitrary: fc.constantFrom(0, HOUR, 3 * HOUR, 12 * HOUR).map((maxUnusedMs) => ({
      kind: "prune" as const,
      maxUnusedMs
    }))
  }
)
const stepArb = fc.record({
  worker: fc.nat(WORKERS - 1),
  // Sometimes a worker uses a token it never held, as a confused or malicious caller would.
  forged: fc.nat(9).map((n) => n === 0),
  // Most steps are taken by the job's last claimer (if any): owners do most of the finalising.
  byClaimer: fc.nat(2).map((n) => n > 0),
  op: opArb,
  // Mostly small steps, so an owner often finalises within its lease; leases lapse by the jumps.
  advance: fc.oneof(
    { weight: 8, arbitrary: fc.constant(0) },
    { weight: 8, arbitrary: fc.nat(HOUR / 6) },
    { weight: 2, arbitrary: fc.nat(2 * HOUR) },
    { weight: 1, arbitrary: fc.constant(7 * HOUR) },
    // To a millisecond around a pending deadline (lease end, retry time, cooldown end), mostly one
    // of the job the step acts on: a rule off by one at its own job's lease end shows there.
    {
      weight: 8,
      arbitrary: fc.record({
        own: fc.nat(3).map((n) => n > 0),
        deadline: fc.nat(2),
        offset: fc.constantFrom(-1, 0, 1)
      })
    }
  )
})

const deadlines = (jobs: Iterable<Job>, now: number): ReadonlyArray<number> =>
  [...jobs]
    .flatMap((j) => [j.leaseUntil, j.retryAt, j.kind === PHASE2_KIND ? Rules.cooldownEnd(j, policy) : null])
    .filter((t): t is number => t !== null && t > now)
    .sort((a, b) => a - b)

/** The job a step is about (prune touches outputs only: it is checked against phase 2's, unchanged). */
const keyOf = (op: Op): readonly [string, string] =>
  "thread" in op ? [STAGE1_KIND, op.thread] : [PHASE2_KIND, PHASE2_KEY]

/**
 * SQLite: the migrated database with the threads, made once and copied for each case: migrating
 * two connections (and starting their checkpointer threads) took most of a case's time, and
 * cases are what catch a broken rule.
 */
const template = Effect.runPromise(Effect.scoped(Effect.gen(function*() {
  const file = tempDatabaseFile("memory-jobs-template-")
  const db = yield* connect(file, { checkpointIntervalMs: 0 })
  yield* insertThreads(THREADS.map((id) => ({ id }))).pipe(Effect.provideService(SqlClient.SqlClient, db.sql))
  yield* db.sql`PRAGMA wal_checkpoint(TRUNCATE)`
  return file
})))

const storeOn = (db: SqlDatabase) => MemoryJobs.make({ policy }).pipe(Effect.provideService(SqlDatabase, db))

/** Two stores on two connections to a database in its first state, for each case of a property. */
type Cases = Effect.Effect<
  Effect.Effect<ReadonlyArray<MemoryJobs.MemoryJobs>, unknown, Scope.Scope>,
  unknown,
  Scope.Scope
>

const sqliteCases: Cases = Effect.succeed(Effect.gen(function*() {
  const file = tempDatabaseFile("memory-jobs-")
  copyFileSync(yield* Effect.promise(() => template), file)
  return yield* Effect.forEach([0, 1], () => Effect.flatMap(connect(file, { checkpointIntervalMs: 0 }), storeOn))
}))

const pgCases: Cases = Effect.map(
  pg.cases,
  (freshCase) =>
    Effect.gen(function*() {
      const database = yield* freshCase
      const dbs = yield* Effect.forEach(["host-a", "host-b"], (hostId) => database.connect({ hostId }))
      yield* insertThreads(THREADS.map((id) => ({ id }))).pipe(Effect.provideService(SqlClient.SqlClient, dbs[0]!.sql))
      return yield* Effect.forEach(dbs, storeOn)
    })
)

describe.each([{ dialect: "sqlite", cases: sqliteCases }, { dialect: "pg", cases: pgCases }])(
  "MemoryJobs interleavings on $dialect",
  ({ cases }) => {
    it.effect(
      "property: under random interleavings of workers on two connections, no two workers own a job, non-owners change nothing, backoff and cooldown hold at every instant, and retries never go negative",
      () =>
        Effect.scoped(Effect.flatMap(cases, (freshCase) =>
          Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(fc.array(stepArb, { minLength: 20, maxLength: 100 }), (steps) =>
                Effect.runPromise(
                  Effect.scoped(Effect.gen(function*() {
                    const stores = yield* freshCase
                    const reader = stores[1]!
                    // The model: the rules applied to rows in memory.
                    const jobs = new Map<string, Job>()
                    const outputs = new Map<string, number>()
                    const tokens = Array.from({ length: WORKERS }, () => new Map<string, string>())
                    let phase2Input = 0
                    const lastClaimer = new Map<string, number>()
                    // Each thread's newest source time (its `updated_at` as the host last saw it).
                    const newestSource = new Map<string, number>()
                    const jobKey = (kind: string, key: string) => `${kind}/${key}`

                    for (const step of steps) {
                      const [kind, key] = keyOf(step.op)
                      const id = jobKey(kind, key)
                      if (typeof step.advance === "number") yield* TestClock.adjust(step.advance)
                      else {
                        const now = yield* Clock.currentTimeMillis
                        const own = jobs.get(id)
                        const owned = own === undefined ? [] : deadlines([own], now)
                        const pending = step.advance.own && owned.length > 0 ? owned : deadlines(jobs.values(), now)
                        const target = pending[step.advance.deadline % Math.max(1, pending.length)]
                        if (target !== undefined) {
                          yield* TestClock.adjust(Math.max(0, target + step.advance.offset - now))
                        }
                      }
                      const now = yield* Clock.currentTimeMillis
                      const worker = step.byClaimer ? lastClaimer.get(id) ?? step.worker : step.worker
                      const store = stores[worker % 2]!
                      const token = step.forged ? "forged" : tokens[worker]!.get(id) ?? "never-held"
                      const stored = Option.getOrUndefined(yield* reader.getJob(kind, key))
                      expect(stored).toEqual(jobs.get(id))
                      const before = jobs.get(id)
                      const owners = (job: Job | undefined) =>
                        tokens.filter((t) => Rules.isOwner(job, t.get(id) ?? "", now)).length
                      expect(owners(before)).toBeLessThanOrEqual(1)

                      const finalise = (
                        next: Job | undefined,
                        result: Either.Either<unknown, { readonly _tag: string }>
                      ) => {
                        if (next === undefined) {
                          expect(Either.isLeft(result) && result.left._tag).toBe("JobNotOwned")
                          return false
                        }
                        expect(Either.isRight(result)).toBe(true)
                        // Only the owner finalises.
                        expect(Rules.isOwner(before, token, now)).toBe(true)
                        jobs.set(id, next)
                        return true
                      }

                      switch (step.op.kind) {
                        case "claim1": {
                          const op = step.op
                          const newest = newestSource.get(op.thread) ?? 0
                          const source = op.source === "newer"
                            ? Math.max(now, newest + 1)
                            : op.source === "same"
                            ? newest
                            : Math.max(0, newest - HOUR)
                          newestSource.set(op.thread, Math.max(newest, source))
                          const outcome = yield* store.claimStage1({
                            threadId: op.thread,
                            sourceUpdatedAt: source,
                            workerId: `w${worker}`
                          })
                          const runningOthers = [...jobs.values()].filter((j) =>
                            j.kind === STAGE1_KIND && j.key !== op.thread && Rules.hasFreshLease(j, now)
                          ).length
                          const decision = Rules.claimStage1({
                            job: before,
                            key: op.thread,
                            outputWatermark: outputs.get(op.thread) ?? null,
                            sourceUpdatedAt: source,
                            runningOthers,
                            claimant: {
                              workerId: `w${worker}`,
                              token: outcome._tag === "Claimed" ? outcome.ownershipToken : "unused"
                            },
                            now,
                            policy
                          })
                          expect(outcome).toEqual(decision.outcome)
                          if (outcome._tag === "Claimed") {
                            // Nobody owned it, its backoff had passed or its input advanced, and capacity allowed it.
                            expect(before !== undefined && Rules.hasFreshLease(before, now)).toBe(false)
                            const advanced = before?.inputWatermark == null || source > before.inputWatermark
                            if (!advanced) {
                              expect(before?.retryAt == null || before.retryAt <= now).toBe(true)
                            }
                            expect(runningOthers).toBeLessThan(policy.maxRunningStage1)
                            tokens[worker]!.set(id, outcome.ownershipToken)
                            lastClaimer.set(id, worker)
                            jobs.set(id, decision.next!)
                          }
                          break
                        }
                        case "heartbeat1": {
                          const result = yield* Effect.either(
                            store.heartbeatStage1({ threadId: step.op.thread, ownershipToken: token })
                          )
                          const next = Rules.heartbeat(before, token, now, policy.stage1LeaseMs)
                          if (finalise(next, result)) {
                            expect(result).toEqual(Either.right(next!.leaseUntil))
                          }
                          break
                        }
                        case "succeed1": {
                          const thread = step.op.thread
                          const result = yield* Effect.either(
                            store.succeedStage1({
                              threadId: thread,
                              ownershipToken: token,
                              rawMemory: `by w${worker}`,
                              rolloutSummary: "s"
                            })
                          )
                          if (finalise(Rules.succeed(before, token, now, before?.inputWatermark ?? null), result)) {
                            const source = before!.inputWatermark!
                            if (source >= (outputs.get(thread) ?? -1)) {
                              outputs.set(thread, source)
                            }
                            jobs.set(
                              jobKey(PHASE2_KIND, PHASE2_KEY),
                              Rules.enqueuePhase2(jobs.get(jobKey(PHASE2_KIND, PHASE2_KEY)), source, policy)
                            )
                          }
                          break
                        }
                        case "succeed1NoOutput": {
                          const thread = step.op.thread
                          const result = yield* Effect.either(
                            store.succeedStage1NoOutput({ threadId: thread, ownershipToken: token })
                          )
                          if (finalise(Rules.succeed(before, token, now, before?.inputWatermark ?? null), result)) {
                            // Its output (if any) is forgotten, and only then is there something for phase 2.
                            if (outputs.delete(thread)) {
                              jobs.set(
                                jobKey(PHASE2_KIND, PHASE2_KEY),
                                Rules.enqueuePhase2(
                                  jobs.get(jobKey(PHASE2_KIND, PHASE2_KEY)),
                                  before!.inputWatermark ?? 0,
                                  policy
                                )
                              )
                            }
                          }
                          break
                        }
                        case "prune": {
                          const maxUnusedMs = step.op.maxUnusedMs
                          const pruned = yield* store.pruneStage1Outputs({ maxUnusedMs })
                          // No output is used or selected here: each counts from its source time.
                          const stale = [...outputs].filter(([, source]) =>
                            source < now - maxUnusedMs
                          )
                          expect(pruned).toBe(stale.length)
                          for (const [thread] of stale) outputs.delete(thread)
                          break
                        }
                        case "fail1": {
                          const result = yield* Effect.either(
                            store.failStage1({
                              threadId: step.op.thread,
                              ownershipToken: token,
                              error: "boom",
                              retryDelayMs: step.op.delayMs
                            })
                          )
                          finalise(Rules.fail(before, token, now, step.op.delayMs, "boom"), result)
                          break
                        }
                        case "claim2": {
                          const outcome = yield* store.claimPhase2({ workerId: `w${worker}` })
                          const decision = Rules.claimPhase2(
                            before,
                            {
                              workerId: `w${worker}`,
                              token: outcome._tag === "Claimed" ? outcome.ownershipToken : "unused"
                            },
                            now,
                            policy
                          )
                          expect(outcome).toEqual(decision.outcome)
                          if (outcome._tag === "Claimed") {
                            expect(before !== undefined && Rules.hasFreshLease(before, now)).toBe(false)
                            expect(before?.retryAt == null || before.retryAt <= now).toBe(true)
                            const successAt = before?.lastError === null ? before.finishedAt : null
                            if (successAt != null) {
                              expect(now - successAt).toBeGreaterThanOrEqual(6 * HOUR)
                            }
                            tokens[worker]!.set(id, outcome.ownershipToken)
                            lastClaimer.set(id, worker)
                            phase2Input = outcome.inputWatermark
                            jobs.set(id, decision.next!)
                          }
                          break
                        }
                        case "heartbeat2": {
                          const result = yield* Effect.either(store.heartbeatPhase2({ ownershipToken: token }))
                          const next = Rules.heartbeat(before, token, now, policy.phase2LeaseMs)
                          if (finalise(next, result)) {
                            expect(result).toEqual(Either.right(next!.leaseUntil))
                          }
                          break
                        }
                        case "succeed2": {
                          const result = yield* Effect.either(
                            store.succeedPhase2({ ownershipToken: token, completedWatermark: phase2Input })
                          )
                          finalise(
                            Rules.succeed(before, token, now, Math.max(before?.lastSuccessWatermark ?? 0, phase2Input)),
                            result
                          )
                          break
                        }
                        case "fail2": {
                          const result = yield* Effect.either(
                            store.failPhase2({ ownershipToken: token, error: "boom", retryDelayMs: step.op.delayMs })
                          )
                          finalise(Rules.fail(before, token, now, step.op.delayMs, "boom"), result)
                          break
                        }
                        case "fail2IfUnowned": {
                          const result = yield* Effect.either(
                            store.failPhase2IfUnowned({
                              ownershipToken: token,
                              error: "lost",
                              retryDelayMs: step.op.delayMs
                            })
                          )
                          const next = Rules.failIfUnowned(before, token, now, step.op.delayMs, "lost")
                          if (next === undefined) {
                            expect(Either.isLeft(result) && result.left._tag).toBe("JobNotOwned")
                          } else {
                            // Only a running lock held by this token or by nobody, whatever its lease:
                            // never one another worker holds.
                            expect(before?.ownershipToken === token || before?.ownershipToken === null).toBe(true)
                            expect(result).toEqual(Either.right(next.retryAt))
                            jobs.set(id, next)
                          }
                          break
                        }
                      }

                      // Both connections see the model's rows; nobody shares a job; retries stay >= 0.
                      for (const [rowId, job] of jobs) {
                        expect(Option.getOrUndefined(yield* stores[0]!.getJob(job.kind, job.key))).toEqual(job)
                        expect(job.retryRemaining).toBeGreaterThanOrEqual(0)
                        expect(
                          tokens.filter((t) => Rules.isOwner(job, t.get(rowId) ?? "", now)).length
                        )
                          .toBeLessThanOrEqual(1)
                      }
                      if (jobs.get(id) === before) {
                        expect(Option.getOrUndefined(yield* reader.getJob(kind, key))).toEqual(stored)
                      }
                      for (const thread of THREADS) {
                        const output = Option.getOrUndefined(yield* reader.getStage1Output(thread))
                        expect(output?.sourceUpdatedAt).toEqual(outputs.get(thread))
                      }
                    }
                  })).pipe(Effect.provide(TestContext.TestContext))
                )),
              { numRuns: runs(50) }
            )
          )))
    )
  }
)
