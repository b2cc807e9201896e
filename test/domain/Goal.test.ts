import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  decide,
  type Goal,
  GoalCommand,
  isOverBudget,
  objectiveProblem,
  RequestedGoalStatus,
  statusAfter
} from "../../src/domain/Goal.js"
import { runs } from "../fixtures/arbitraries.js"

const goal = (overrides: Partial<Goal> = {}): Goal => ({
  threadId: "t1",
  goalId: "g1",
  objective: "ship it",
  status: "active",
  tokenBudget: 100,
  tokensUsed: 0,
  timeUsedMs: 0,
  createdAt: 0,
  updatedAt: 0,
  ...overrides
})

const written = (decision: ReturnType<typeof decide>): Goal => {
  if (decision._tag !== "Write") throw new Error(`expected a write, got ${decision._tag}`)
  return decision.goal
}

describe("Goal rules", () => {
  it("asking for active at or over the budget gives budget_limited", () => {
    expect(statusAfter("paused", "active", 100, 100)).toBe("budget_limited")
    expect(statusAfter("paused", "active", 99, 100)).toBe("active")
    expect(statusAfter("paused", "active", 1_000, null)).toBe("active")
  })

  it("pausing a budget-limited goal keeps it budget-limited, completing it completes it", () => {
    expect(statusAfter("budget_limited", "paused", 100, 100)).toBe("budget_limited")
    expect(statusAfter("budget_limited", "complete", 100, 100)).toBe("complete")
  })

  it("a goal created active with a zero budget starts budget_limited", () => {
    const created = written(
      decide(
        undefined,
        GoalCommand.Create({ threadId: "t1", newGoalId: "g1", objective: "o", status: "active", tokenBudget: 0 }),
        5
      )
    )
    expect(created).toMatchObject({ status: "budget_limited", tokensUsed: 0, createdAt: 5, updatedAt: 5 })
  })

  it("blocking a budget-limited goal keeps it budget-limited; blocked and usage_limited goals accrue no usage", () => {
    expect(statusAfter("budget_limited", "blocked", 100, 100)).toBe("budget_limited")
    expect(statusAfter("active", "blocked", 10, 100)).toBe("blocked")
    expect(statusAfter("budget_limited", "usage_limited", 100, 100)).toBe("usage_limited")
    for (const status of ["paused", "blocked", "usage_limited", "complete"] as const) {
      const decision = decide(
        goal({ status }),
        GoalCommand.AccountUsage({ threadId: "t1", expectedGoalId: "g1", tokens: 10, timeMs: 7 }),
        3
      )
      expect([status, decision._tag]).toEqual([status, "Unchanged"])
    }
    for (const status of ["active", "budget_limited"] as const) {
      const decision = decide(
        goal({ status, tokenBudget: null }),
        GoalCommand.AccountUsage({ threadId: "t1", expectedGoalId: "g1", tokens: 10, timeMs: 7 }),
        3
      )
      expect(written(decision)).toMatchObject({ status, tokensUsed: 10, timeUsedMs: 7 })
    }
  })

  it("editing the objective keeps usage, budget, status and creation time", () => {
    const before = goal({ tokensUsed: 42, timeUsedMs: 9, status: "blocked", createdAt: 1 })
    const edited = written(
      decide(before, GoalCommand.Update({ threadId: "t1", expectedGoalId: "g1", objective: "ship it better" }), 5)
    )
    expect(edited).toEqual({ ...before, objective: "ship it better", updatedAt: 5 })
  })

  it("pauseIfActive pauses an active goal only", () => {
    expect(written(decide(goal(), GoalCommand.PauseIfActive({ threadId: "t1" }), 2))).toMatchObject({
      status: "paused",
      updatedAt: 2
    })
    for (const status of ["paused", "blocked", "usage_limited", "budget_limited", "complete"] as const) {
      expect(decide(goal({ status }), GoalCommand.PauseIfActive({ threadId: "t1" }), 2)._tag).toBe("Unchanged")
    }
    expect(decide(undefined, GoalCommand.PauseIfActive({ threadId: "t1" }), 2)).toMatchObject({
      _tag: "Stale",
      currentGoalId: null
    })
  })

  it("an objective must not be empty nor longer than 4000 characters", () => {
    expect(objectiveProblem("ok")).toBeUndefined()
    expect(objectiveProblem("  ")).toMatch(/empty/)
    expect(objectiveProblem("😀".repeat(4000))).toBeUndefined()
    expect(objectiveProblem("x".repeat(4001))).toMatch(/at most 4000 characters \(this one has 4001\)/)
  })

  it("usage reaching the budget moves an active goal to budget_limited, and later usage still counts", () => {
    const reached = written(
      decide(
        goal({ tokensUsed: 90 }),
        GoalCommand.AccountUsage({ threadId: "t1", expectedGoalId: "g1", tokens: 10, timeMs: 7 }),
        3
      )
    )
    expect(reached).toMatchObject({ status: "budget_limited", tokensUsed: 100, timeUsedMs: 7, updatedAt: 3 })
    const after = written(
      decide(reached, GoalCommand.AccountUsage({ threadId: "t1", expectedGoalId: "g1", tokens: 5, timeMs: 1 }), 4)
    )
    expect(after).toMatchObject({ status: "budget_limited", tokensUsed: 105, timeUsedMs: 8 })
  })

  it("usage on a paused or complete goal, or a report of nothing, leaves the goal unchanged", () => {
    for (const status of ["paused", "complete"] as const) {
      expect(
        decide(
          goal({ status }),
          GoalCommand.AccountUsage({ threadId: "t1", expectedGoalId: "g1", tokens: 5, timeMs: 5 }),
          1
        )._tag
      ).toBe("Unchanged")
    }
    expect(
      decide(goal(), GoalCommand.AccountUsage({ threadId: "t1", expectedGoalId: "g1", tokens: -5, timeMs: 0 }), 1)._tag
    ).toBe("Unchanged")
  })

  it("lowering the budget of an active goal to its usage stops it; raising a stopped goal's budget does not restart it", () => {
    const lowered = written(
      decide(goal({ tokensUsed: 50 }), GoalCommand.Update({ threadId: "t1", expectedGoalId: "g1", tokenBudget: 50 }), 1)
    )
    expect(lowered.status).toBe("budget_limited")
    const raised = written(
      decide(lowered, GoalCommand.Update({ threadId: "t1", expectedGoalId: "g1", tokenBudget: 500 }), 2)
    )
    expect(raised).toMatchObject({ status: "budget_limited", tokenBudget: 500 })
    const resumed = written(
      decide(raised, GoalCommand.Update({ threadId: "t1", expectedGoalId: "g1", status: "active" }), 3)
    )
    expect(resumed.status).toBe("active")
  })

  it("a command naming a replaced or deleted goal id is stale, and create on a thread with a goal is refused", () => {
    expect(decide(goal(), GoalCommand.Update({ threadId: "t1", expectedGoalId: "g0", status: "paused" }), 1))
      .toMatchObject({ _tag: "Stale", currentGoalId: "g1" })
    expect(decide(undefined, GoalCommand.Delete({ threadId: "t1", expectedGoalId: "g1" }), 1)).toMatchObject({
      _tag: "Stale",
      currentGoalId: null
    })
    expect(
      decide(
        goal(),
        GoalCommand.Create({ threadId: "t1", newGoalId: "g2", objective: "o", status: "active", tokenBudget: null }),
        1
      )
    )
      .toMatchObject({ _tag: "Exists", currentGoalId: "g1" })
  })

  it("replacing a goal gives a new goal id with usage from zero", () => {
    const replaced = written(
      decide(
        goal({ tokensUsed: 70, timeUsedMs: 9 }),
        GoalCommand.Replace({
          threadId: "t1",
          expectedGoalId: "g1",
          newGoalId: "g2",
          objective: "next",
          status: "active",
          tokenBudget: null
        }),
        8
      )
    )
    expect(replaced).toEqual(goal({ goalId: "g2", objective: "next", tokenBudget: null, createdAt: 8, updatedAt: 8 }))
  })

  const commandArb = fc.oneof(
    fc.record({
      status: fc.constantFrom(...RequestedGoalStatus.literals),
      tokenBudget: fc.option(fc.nat(60), { nil: null })
    })
      .map((c) => (id: string, n: number) =>
        GoalCommand.Replace({ threadId: "t1", expectedGoalId: id, newGoalId: `g-${n}`, objective: "o", ...c })
      ),
    fc.record({
      status: fc.option(fc.constantFrom(...RequestedGoalStatus.literals), { nil: undefined }),
      tokenBudget: fc.option(fc.option(fc.nat(60), { nil: null }), { nil: undefined })
    }).map((c) => (id: string) => GoalCommand.Update({ threadId: "t1", expectedGoalId: id, ...c })),
    fc.record({ tokens: fc.integer({ min: -5, max: 30 }), timeMs: fc.integer({ min: -5, max: 1000 }) })
      .map((c) => (id: string) => GoalCommand.AccountUsage({ threadId: "t1", expectedGoalId: id, ...c }))
  )

  it("property: an active goal is never at or over its budget, and it leaves active for budget_limited only on reaching it", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(commandArb, fc.boolean()), { maxLength: 40 }), (steps) => {
        let current = goal({ tokenBudget: 40 })
        let now = 0
        for (const [make, staleId] of steps) {
          const before = current
          const decision = decide(current, make(staleId ? "stale" : current.goalId, ++now), now)
          if (staleId) {
            expect(decision._tag).toBe("Stale")
            continue
          }
          if (decision._tag === "Write") current = decision.goal
          if (current.status === "active") expect(isOverBudget(current.tokensUsed, current.tokenBudget)).toBe(false)
          if (before.status !== "budget_limited" && current.status === "budget_limited") {
            expect(isOverBudget(current.tokensUsed, current.tokenBudget)).toBe(true)
          }
          expect(current.tokensUsed).toBeGreaterThanOrEqual(before.goalId === current.goalId ? before.tokensUsed : 0)
        }
      }),
      { numRuns: runs(300) }
    )
  })
})
