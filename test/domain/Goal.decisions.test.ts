import { describe, expect, it } from "vitest"
import { accruesUsage, decide, type Goal, GoalCommand, isOverBudget, statusAfter } from "../../src/domain/Goal.js"
import { initial } from "../../src/domain/ThreadFold.js"

const goal: Goal = {
  threadId: "t1",
  goalId: "g1",
  objective: "o",
  status: "active",
  tokenBudget: 100,
  tokensUsed: 10,
  timeUsedMs: 20,
  createdAt: 1,
  updatedAt: 2
}

describe("goal decisions", () => {
  it("deletes the named goal, and leaves it unchanged when an update asks for nothing", () => {
    expect(decide(goal, GoalCommand.Delete({ threadId: "t1", expectedGoalId: "g1" }), 5)).toEqual({
      _tag: "Remove",
      goal
    })
    expect(decide(goal, GoalCommand.Update({ threadId: "t1", expectedGoalId: "g1" }), 5)).toEqual({
      _tag: "Unchanged",
      goal
    })
    expect(decide(undefined, GoalCommand.Delete({ threadId: "t1", expectedGoalId: "g1" }), 5)).toEqual({
      _tag: "Stale",
      currentGoalId: null
    })
    expect(
      decide(
        goal,
        GoalCommand.Create({ threadId: "t1", newGoalId: "g2", objective: "o", status: "active", tokenBudget: null }),
        5
      )
    ).toEqual({ _tag: "Exists", currentGoalId: "g1" })
  })

  it("an update keeps an absent budget, clears a null one and stamps the time", () => {
    expect(decide(goal, GoalCommand.Update({ threadId: "t1", expectedGoalId: "g1", status: "paused" }), 5)).toEqual({
      _tag: "Write",
      goal: { ...goal, status: "paused", updatedAt: 5 }
    })
    expect(decide(goal, GoalCommand.Update({ threadId: "t1", expectedGoalId: "g1", tokenBudget: null }), 6)).toEqual({
      _tag: "Write",
      goal: { ...goal, tokenBudget: null, updatedAt: 6 }
    })
  })

  it("usage adds whole non-negative amounts, counting time alone, and ignores non-finite ones", () => {
    const usage = (tokens: number, timeMs: number) =>
      decide(goal, GoalCommand.AccountUsage({ threadId: "t1", expectedGoalId: "g1", tokens, timeMs }), 9)
    expect(usage(2.7, 3.9)).toEqual({ _tag: "Write", goal: { ...goal, tokensUsed: 12, timeUsedMs: 23, updatedAt: 9 } })
    expect(usage(0, 4)).toEqual({ _tag: "Write", goal: { ...goal, timeUsedMs: 24, updatedAt: 9 } })
    expect(usage(5, 0)).toEqual({ _tag: "Write", goal: { ...goal, tokensUsed: 15, updatedAt: 9 } })
    expect(usage(Number.NaN, Number.POSITIVE_INFINITY)).toEqual({ _tag: "Unchanged", goal })
    expect(usage(0.5, 0)).toEqual({ _tag: "Unchanged", goal })
    const paused = { ...goal, status: "paused" as const }
    expect(decide(paused, GoalCommand.AccountUsage({ threadId: "t1", expectedGoalId: "g1", tokens: 5, timeMs: 5 }), 9))
      .toEqual({ _tag: "Unchanged", goal: paused })
  })

  it("names which statuses accrue usage and when a budget is reached", () => {
    expect(["active", "paused", "budget_limited", "complete"].map((s) => accruesUsage(s as Goal["status"]))).toEqual([
      true,
      false,
      true,
      false
    ])
    expect(isOverBudget(100, 100)).toBe(true)
    expect(isOverBudget(99, 100)).toBe(false)
    expect(isOverBudget(0, 0)).toBe(true)
    expect(isOverBudget(5, null)).toBe(false)
    expect(statusAfter("active", "paused", 100, 100)).toBe("paused")
    expect(statusAfter("budget_limited", "active", 10, 100)).toBe("active")
  })
})

describe("initial thread state", () => {
  it("records where the creation time came from", () => {
    expect(initial("t", { fileNameTimestamp: null, defaultModelProvider: "p" }).progress.createdAtSource).toBe(
      "unknown"
    )
    expect(initial("t", { fileNameTimestamp: null, defaultModelProvider: "p" }).metadata.createdAt).toBe(0)
    expect(initial("t", { fileNameTimestamp: 7, defaultModelProvider: "p" }).progress.createdAtSource).toBe("file_name")
    expect(initial("t", { fileNameTimestamp: 7, defaultModelProvider: "p" }).metadata.updatedAt).toBe(7)
  })
})
