import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Either, FastCheck as fc, Option, TestClock, TestContext } from "effect"
import {
  decide,
  type Goal,
  GoalCommand,
  type GoalCommand as Command,
  isOverBudget,
  RequestedGoalStatus
} from "../../../src/domain/Goal.js"
import type { InvalidInput } from "../../../src/infra/engine/EngineError.js"
import { SqlDatabase } from "../../../src/infra/sql/SqlDatabase.js"
import type { DatabaseError } from "../../../src/infra/sqlite/Database.js"
import * as ThreadGoals from "../../../src/infra/stores/ThreadGoals.js"
import { runs } from "../../fixtures/arbitraries.js"
import { dialects } from "../../fixtures/dialects.js"

/** Thread ids are UUIDs (SPEC §12). */
const T1 = "019a9f10-1111-7222-8333-444455556666"
const T2 = "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff"

describe.each(dialects)("ThreadGoals on $dialect", ({ cases, layer }) => {
  const withGoals = <A, E, R extends SqlClient.SqlClient = never>(
    use: (goals: ThreadGoals.ThreadGoals) => Effect.Effect<A, E, R>
  ) => Effect.flatMap(ThreadGoals.make, use).pipe(Effect.provide(layer()))

  it.effect("stores blocked and usage_limited goals, edits an objective keeping usage, pauses only an active goal, lists newest first", () =>
    withGoals((goals) =>
      Effect.gen(function*() {
        const first = yield* goals.create({ threadId: T1, objective: "first", status: "blocked" })
        expect(first.status).toBe("blocked")
        yield* TestClock.adjust(10)
        const second = yield* goals.create({ threadId: T2, objective: "second", tokenBudget: 1_000 })
        yield* goals.accountUsage({ threadId: T2, expectedGoalId: second.goalId, tokens: 300, timeMs: 40 })
        yield* TestClock.adjust(10)
        const edited = yield* goals.update({
          threadId: T2,
          expectedGoalId: second.goalId,
          objective: "second, sharper"
        })
        expect(edited).toMatchObject({
          goalId: second.goalId,
          objective: "second, sharper",
          tokensUsed: 300,
          timeUsedMs: 40
        })
        expect(yield* goals.pauseIfActive(T1)).toEqual(Option.none())
        yield* TestClock.adjust(10)
        const paused = yield* goals.pauseIfActive(T2)
        expect(paused).toEqual(Option.some({ ...edited, status: "paused", updatedAt: 30 }))
        expect(yield* goals.pauseIfActive(T2)).toEqual(Option.none())
        yield* TestClock.adjust(10)
        const limited = yield* goals.update({ threadId: T1, expectedGoalId: first.goalId, status: "usage_limited" })
        expect(limited.status).toBe("usage_limited")
        const usage = yield* goals.accountUsage({ threadId: T1, expectedGoalId: first.goalId, tokens: 5, timeMs: 5 })
        expect(usage._tag).toBe("Unchanged")
        expect((yield* goals.list()).map((g) => [g.threadId, g.status])).toEqual([[T1, "usage_limited"], [
          T2,
          "paused"
        ]])
        expect((yield* goals.list({ status: "paused" })).map((g) => g.threadId)).toEqual([T2])
        expect((yield* goals.list({ limit: 1 })).length).toBe(1)
        expect((yield* Effect.flip(goals.list({ limit: 0 })))._tag).toBe("InvalidInput")
      })
    ))

  it.effect("refuses an empty or over-long objective with InvalidInput, writing nothing", () =>
    withGoals((goals) =>
      Effect.gen(function*() {
        const empty = yield* Effect.flip(goals.create({ threadId: T1, objective: " " }))
        expect(empty).toMatchObject({ _tag: "InvalidInput", what: "thread_goals: create: objective" })
        const goal = yield* goals.create({ threadId: T1, objective: "ok" })
        const long = yield* Effect.flip(
          goals.update({ threadId: T1, expectedGoalId: goal.goalId, objective: "x".repeat(4001) })
        )
        expect(long).toMatchObject({ _tag: "InvalidInput", what: "thread_goals: update: objective" })
        expect(yield* goals.get(T1)).toEqual(Option.some(goal))
      })
    ))

  it.effect("creates a goal, updates its status and budget, and replacing it gives a new goal id with usage from zero", () =>
    withGoals((goals) =>
      Effect.gen(function*() {
        const created = yield* goals.create({
          threadId: T1,
          objective: "optimize the benchmark",
          tokenBudget: 100_000
        })
        expect(created).toMatchObject({
          status: "active",
          tokenBudget: 100_000,
          tokensUsed: 0,
          timeUsedMs: 0,
          createdAt: 0
        })
        expect(yield* goals.get(T1)).toEqual(Option.some(created))
        yield* TestClock.adjust(1_000)
        const updated = yield* goals.update({
          threadId: T1,
          expectedGoalId: created.goalId,
          status: "paused",
          tokenBudget: 200_000
        })
        expect(updated).toEqual({ ...created, status: "paused", tokenBudget: 200_000, updatedAt: 1_000 })
        yield* goals.accountUsage({ threadId: T1, expectedGoalId: created.goalId, tokens: 0, timeMs: 0 })
        const replaced = yield* goals.replace({
          threadId: T1,
          expectedGoalId: created.goalId,
          objective: "ship the new result"
        })
        expect(replaced.goalId).not.toBe(created.goalId)
        expect(replaced).toMatchObject({
          objective: "ship the new result",
          status: "active",
          tokenBudget: null,
          tokensUsed: 0,
          createdAt: 1_000
        })
        expect(yield* goals.delete({ threadId: T1, expectedGoalId: replaced.goalId })).toEqual(replaced)
        expect(yield* goals.get(T1)).toEqual(Option.none())
      })
    ))

  it.effect("an update naming a replaced goal id is rejected as StaleGoal and changes nothing", () =>
    withGoals((goals) =>
      Effect.gen(function*() {
        const first = yield* goals.create({ threadId: T1, objective: "first", tokenBudget: 50 })
        const second = yield* goals.replace({
          threadId: T1,
          expectedGoalId: first.goalId,
          objective: "second",
          tokenBudget: 50
        })
        yield* TestClock.adjust(10)
        const updateError = yield* Effect.flip(
          goals.update({ threadId: T1, expectedGoalId: first.goalId, status: "complete" })
        )
        expect(updateError).toMatchObject({
          _tag: "StaleGoal",
          expectedGoalId: first.goalId,
          currentGoalId: second.goalId,
          operation: "update"
        })
        const usageError = yield* Effect.flip(
          goals.accountUsage({ threadId: T1, expectedGoalId: first.goalId, tokens: 80, timeMs: 5 })
        )
        expect(usageError._tag).toBe("StaleGoal")
        const replaceError = yield* Effect.flip(
          goals.replace({ threadId: T1, expectedGoalId: first.goalId, objective: "third" })
        )
        expect(replaceError._tag).toBe("StaleGoal")
        expect(yield* goals.get(T1)).toEqual(Option.some(second))
      })
    ))

  it.effect("a delete or usage report naming a deleted goal is stale, and create on a thread with a goal fails with GoalExists", () =>
    withGoals((goals) =>
      Effect.gen(function*() {
        const goal = yield* goals.create({ threadId: T1, objective: "o" })
        const exists = yield* Effect.flip(goals.create({ threadId: T1, objective: "other" }))
        expect(exists).toMatchObject({ _tag: "GoalExists", currentGoalId: goal.goalId })
        yield* goals.delete({ threadId: T1, expectedGoalId: goal.goalId })
        const again = yield* Effect.flip(goals.delete({ threadId: T1, expectedGoalId: goal.goalId }))
        expect(again).toMatchObject({ _tag: "StaleGoal", currentGoalId: null })
        const usage = yield* Effect.flip(
          goals.accountUsage({ threadId: T1, expectedGoalId: goal.goalId, tokens: 1, timeMs: 1 })
        )
        expect(usage._tag).toBe("StaleGoal")
        expect(yield* goals.get(T1)).toEqual(Option.none())
      })
    ))

  it.effect("usage reaching the budget moves an active goal to budget_limited, and paused goals accrue nothing", () =>
    withGoals((goals) =>
      Effect.gen(function*() {
        const goal = yield* goals.create({ threadId: T1, objective: "stay within budget", tokenBudget: 20 })
        const first = yield* goals.accountUsage({
          threadId: T1,
          expectedGoalId: goal.goalId,
          tokens: 5,
          timeMs: 7_000
        })
        expect(first).toMatchObject({ _tag: "Accounted", goal: { status: "active", tokensUsed: 5, timeUsedMs: 7_000 } })
        const reached = yield* goals.accountUsage({
          threadId: T1,
          expectedGoalId: goal.goalId,
          tokens: 15,
          timeMs: 3_000
        })
        expect(reached).toMatchObject({
          _tag: "Accounted",
          goal: { status: "budget_limited", tokensUsed: 20, timeUsedMs: 10_000 }
        })
        const paused = yield* goals.update({ threadId: T1, expectedGoalId: goal.goalId, status: "paused" })
        expect(paused.status).toBe("budget_limited")
        yield* goals.update({ threadId: T1, expectedGoalId: goal.goalId, status: "complete" })
        const ignored = yield* goals.accountUsage({ threadId: T1, expectedGoalId: goal.goalId, tokens: 5, timeMs: 5 })
        expect(ignored).toMatchObject({ _tag: "Unchanged", goal: { status: "complete", tokensUsed: 20 } })
      })
    ))

  it.effect("a goal created active with a zero budget is budget_limited from the start", () =>
    withGoals((goals) =>
      Effect.map(
        goals.create({ threadId: T1, objective: "o", tokenBudget: 0 }),
        (goal) => expect(goal.status).toBe("budget_limited")
      )
    ))

  it.effect("a thread id that is not a UUID fails with InvalidInput naming it, and no goal row is written", () =>
    withGoals((goals) =>
      Effect.gen(function*() {
        const created = yield* Effect.flip(goals.create({ threadId: "../x", objective: "o" }))
        expect([created._tag, created.message]).toEqual(["InvalidInput", expect.stringContaining(`"../x"`)])
        const calls: Array<Effect.Effect<unknown, { readonly _tag: string }>> = [
          goals.get("a/b"),
          goals.update({ threadId: "", expectedGoalId: "g", status: "paused" }),
          goals.replace({ threadId: T1.toUpperCase(), expectedGoalId: "g", objective: "o" }),
          goals.delete({ threadId: "/etc/passwd", expectedGoalId: "g" }),
          goals.accountUsage({ threadId: "x\u0000", expectedGoalId: "g", tokens: 1, timeMs: 1 })
        ]
        for (const call of calls) expect((yield* Effect.flip(call))._tag).toBe("InvalidInput")
        const sql = yield* SqlClient.SqlClient
        expect(yield* sql`SELECT COUNT(*) AS n FROM thread_goals`).toEqual([{ n: 0 }])
      })
    ))

  // --- Interleavings -----------------------------------------------------------------------

  const THREADS = [T1, T2] as const
  const WORKERS = 4

  type Op =
    | { readonly kind: "create"; readonly budget: number | null }
    | { readonly kind: "replace"; readonly budget: number | null; readonly status: RequestedGoalStatus }
    | { readonly kind: "update"; readonly status?: RequestedGoalStatus; readonly budget?: number | null }
    | { readonly kind: "pause" }
    | { readonly kind: "delete" }
    | { readonly kind: "usage"; readonly tokens: number; readonly timeMs: number }
    | { readonly kind: "refresh" }

  const statusArb = fc.constantFrom(...RequestedGoalStatus.literals)
  const budgetArb = fc.option(fc.nat(80), { nil: null })
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 1, arbitrary: budgetArb.map((budget) => ({ kind: "create" as const, budget })) },
    {
      weight: 1,
      arbitrary: fc.record({ budget: budgetArb, status: statusArb }).map((o) => ({ kind: "replace" as const, ...o }))
    },
    {
      weight: 2,
      arbitrary: fc.record({ status: statusArb, budget: budgetArb }, { requiredKeys: [] }).map((o) => ({
        kind: "update" as const,
        ...o
      }))
    },
    { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "pause" as const }) },
    {
      weight: 4,
      arbitrary: fc.record({ tokens: fc.integer({ min: -3, max: 25 }), timeMs: fc.nat(5_000) }).map((o) => ({
        kind: "usage" as const,
        ...o
      }))
    },
    { weight: 2, arbitrary: fc.constant({ kind: "refresh" as const }) }
  )
  const stepArb = fc.record({
    worker: fc.nat(WORKERS - 1),
    thread: fc.constantFrom(...THREADS),
    op: opArb,
    // Most steps read the goal first (an up-to-date worker); the rest act on what they last saw.
    reads: fc.nat(3).map((n) => n > 0),
    advanceMs: fc.oneof(fc.constant(0), fc.nat(10_000))
  })

  const commandOf = (op: Op, threadId: string, known: string, newGoalId: string): Command | undefined => {
    switch (op.kind) {
      case "create":
        return GoalCommand.Create({ threadId, newGoalId, objective: "o", status: "active", tokenBudget: op.budget })
      case "replace":
        return GoalCommand.Replace({
          threadId,
          expectedGoalId: known,
          newGoalId,
          objective: "o",
          status: op.status,
          tokenBudget: op.budget
        })
      case "update":
        return GoalCommand.Update({ threadId, expectedGoalId: known, status: op.status, tokenBudget: op.budget })
      case "delete":
        return GoalCommand.Delete({ threadId, expectedGoalId: known })
      case "pause":
        return GoalCommand.PauseIfActive({ threadId })
      case "usage":
        return GoalCommand.AccountUsage({ threadId, expectedGoalId: known, tokens: op.tokens, timeMs: op.timeMs })
      case "refresh":
        return undefined
    }
  }

  const perform = (
    goals: ThreadGoals.ThreadGoals,
    op: Op,
    threadId: string,
    known: string
  ): Effect.Effect<
    Goal | undefined,
    ThreadGoals.StaleGoal | ThreadGoals.GoalExists | InvalidInput | DatabaseError
  > => {
    switch (op.kind) {
      case "create":
        return goals.create({ threadId, objective: "o", tokenBudget: op.budget })
      case "replace":
        return goals.replace({
          threadId,
          expectedGoalId: known,
          objective: "o",
          status: op.status,
          tokenBudget: op.budget
        })
      case "update":
        return goals.update({
          threadId,
          expectedGoalId: known,
          ...(op.status === undefined ? {} : { status: op.status }),
          ...(op.budget === undefined ? {} : { tokenBudget: op.budget })
        })
      case "delete":
        return goals.delete({ threadId, expectedGoalId: known })
      case "pause":
        return Effect.map(goals.pauseIfActive(threadId), Option.getOrUndefined)
      case "usage":
        return Effect.map(
          goals.accountUsage({ threadId, expectedGoalId: known, tokens: op.tokens, timeMs: op.timeMs }),
          (o) => o.goal
        )
      case "refresh":
        return Effect.map(goals.get(threadId), Option.getOrUndefined)
    }
  }

  it.effect(
    "property: interleaved goal commands from workers on two connections match the rules, a stale update never wins, and an active goal is never at its budget",
    () =>
      Effect.scoped(Effect.flatMap(cases, (freshCase) =>
        Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 40 }), (steps) =>
              Effect.runPromise(
                Effect.scoped(Effect.gen(function*() {
                  const database = yield* freshCase
                  // Two connections to one database: workers on different ones are different processes.
                  const services = yield* Effect.forEach([0, 1], () =>
                    Effect.flatMap(
                      database.connect(),
                      (db) => ThreadGoals.make.pipe(Effect.provideService(SqlDatabase, db))
                    ))
                  const model = new Map<string, Goal>()
                  // What each worker believes each thread's goal id is (from what it last saw).
                  const known = Array.from({ length: WORKERS }, () => new Map<string, string>())
                  for (const threadId of THREADS) {
                    const goal = yield* services[0]!.create({ threadId, objective: "o", tokenBudget: 40 })
                    model.set(threadId, goal)
                    known[0]!.set(threadId, goal.goalId)
                  }
                  for (const step of steps) {
                    yield* TestClock.adjust(step.advanceMs)
                    const now = yield* Clock.currentTimeMillis
                    const goals = services[step.worker % 2]!
                    if (step.reads) {
                      const current = yield* goals.get(step.thread)
                      if (Option.isSome(current)) known[step.worker]!.set(step.thread, current.value.goalId)
                    }
                    const believed = known[step.worker]!.get(step.thread) ?? "never-seen"
                    const before = model.get(step.thread)
                    const result = yield* Effect.either(perform(goals, step.op, step.thread, believed))
                    // The store picks new goal ids; the model takes the one it returned.
                    const newGoalId = Either.isRight(result) && result.right !== undefined
                      ? result.right.goalId
                      : "none"
                    const command = commandOf(step.op, step.thread, believed, newGoalId)
                    if (command !== undefined) {
                      const decision = decide(before, command, now)
                      switch (decision._tag) {
                        case "Write":
                          model.set(step.thread, decision.goal)
                          expect(result).toEqual(Either.right(decision.goal))
                          break
                        case "Remove":
                          model.delete(step.thread)
                          expect(result).toEqual(Either.right(decision.goal))
                          break
                        case "Unchanged":
                          // pauseIfActive answers "not paused" for a goal that is not active.
                          expect(result).toEqual(Either.right(step.op.kind === "pause" ? undefined : decision.goal))
                          break
                        case "Stale":
                          if (step.op.kind === "pause") expect(result).toEqual(Either.right(undefined))
                          else expect(Either.isLeft(result) && result.left._tag).toBe("StaleGoal")
                          break
                        case "Exists":
                          expect(Either.isLeft(result) && result.left._tag).toBe("GoalExists")
                          break
                      }
                    }
                    const seen = Either.isRight(result) ? result.right : undefined
                    if (seen !== undefined && model.get(step.thread)?.goalId === seen.goalId) {
                      known[step.worker]!.set(step.thread, seen.goalId)
                    }
                    // The other connection sees exactly the model's state.
                    const other = services[(step.worker + 1) % 2]!
                    for (const threadId of THREADS) {
                      const stored = Option.getOrUndefined(yield* other.get(threadId))
                      expect(stored).toEqual(model.get(threadId))
                      if (stored?.status === "active") {
                        expect(isOverBudget(stored.tokensUsed, stored.tokenBudget)).toBe(false)
                      }
                    }
                    const after = model.get(step.thread)
                    if (Either.isLeft(result)) {
                      expect(after).toEqual(before)
                    }
                    if (
                      before?.status === "active" && after?.goalId === before.goalId &&
                      after.status === "budget_limited"
                    ) {
                      expect(isOverBudget(after.tokensUsed, after.tokenBudget)).toBe(true)
                    }
                  }
                })).pipe(Effect.provide(TestContext.TestContext))
              )),
            { numRuns: runs(60) }
          )
        )))
  )
})
