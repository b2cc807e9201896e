/**
 * A thread's goal (SPEC §9): one per thread, named by a `goal_id` that changes when the goal
 * is replaced, with a token budget whose exhaustion stops an active goal. The rules are one
 * function, `decide(current, command, now)`, that every store applies.
 * @since 0.1.0
 */
import { Data, Schema } from "effect"

/**
 * `budget_limited` is set only by the rules (usage reached the budget), never asked for;
 * `blocked` (waiting on something outside the agent) and `usage_limited` (the account's
 * rate limit stopped it) are the reference's other stopped states.
 * @since 0.1.0
 * @category schemas
 */
export const GoalStatus = Schema.Literal("active", "paused", "blocked", "usage_limited", "budget_limited", "complete")

/** @since 0.1.0 */
export type GoalStatus = typeof GoalStatus.Type

/**
 * The statuses a host may ask for.
 * @since 0.1.0
 * @category schemas
 */
export const RequestedGoalStatus = Schema.Literal("active", "paused", "blocked", "usage_limited", "complete")

/** @since 0.1.0 */
export type RequestedGoalStatus = typeof RequestedGoalStatus.Type

/**
 * A goal as hosts see it; times in epoch milliseconds.
 * @since 0.1.0
 * @category schemas
 */
export const Goal = Schema.Struct({
  threadId: Schema.String,
  goalId: Schema.String,
  objective: Schema.String,
  status: GoalStatus,
  tokenBudget: Schema.NullOr(Schema.NonNegativeInt),
  tokensUsed: Schema.NonNegativeInt,
  timeUsedMs: Schema.NonNegativeInt,
  createdAt: Schema.Int,
  updatedAt: Schema.Int
})

/** @since 0.1.0 */
export type Goal = typeof Goal.Type

/**
 * What a host asks of a thread's goal. Every command but `Create` names the goal it expects.
 * `tokenBudget` in `Update`: absent keeps, `null` clears, a number sets.
 * @since 0.1.0
 * @category models
 */
export type GoalCommand = Data.TaggedEnum<{
  Create: {
    readonly threadId: string
    readonly newGoalId: string
    readonly objective: string
    readonly status: RequestedGoalStatus
    readonly tokenBudget: number | null
  }
  Replace: {
    readonly threadId: string
    readonly expectedGoalId: string
    readonly newGoalId: string
    readonly objective: string
    readonly status: RequestedGoalStatus
    readonly tokenBudget: number | null
  }
  Update: {
    readonly threadId: string
    readonly expectedGoalId: string
    /** A new objective; usage, budget and times are kept. */
    readonly objective?: string | undefined
    readonly status?: RequestedGoalStatus | undefined
    readonly tokenBudget?: number | null | undefined
  }
  /** Pauses the thread's goal only if it is `active`; names no goal (the reference's pause on interrupt). */
  PauseIfActive: { readonly threadId: string }
  Delete: { readonly threadId: string; readonly expectedGoalId: string }
  AccountUsage: {
    readonly threadId: string
    readonly expectedGoalId: string
    readonly tokens: number
    readonly timeMs: number
  }
}>

/** @since 0.1.0 @category constructors */
export const GoalCommand = Data.taggedEnum<GoalCommand>()

/**
 * The outcome of a command: write this goal, remove the goal, leave it as it is, or refuse
 * (the named goal is not the current one; a goal already exists).
 * @since 0.1.0
 * @category models
 */
export type GoalDecision = Data.TaggedEnum<{
  Write: { readonly goal: Goal }
  Remove: { readonly goal: Goal }
  Unchanged: { readonly goal: Goal }
  Stale: { readonly currentGoalId: string | null }
  Exists: { readonly currentGoalId: string }
}>

/** @since 0.1.0 @category constructors */
export const GoalDecision = Data.taggedEnum<GoalDecision>()

/**
 * Usage at or over a budget.
 * @since 0.1.0
 */
export const isOverBudget = (tokensUsed: number, tokenBudget: number | null): boolean =>
  tokenBudget !== null && tokensUsed >= tokenBudget

/**
 * The status a goal ends with when `requested` is asked for: asking for `active` at or over
 * the budget gives `budget_limited`, and pausing or blocking a `budget_limited` goal keeps it
 * `budget_limited` (it stays stopped for its budget, as in the reference).
 * @since 0.1.0
 */
export const statusAfter = (
  current: GoalStatus,
  requested: GoalStatus,
  tokensUsed: number,
  tokenBudget: number | null
): GoalStatus => {
  if (current === "budget_limited" && (requested === "paused" || requested === "blocked")) return "budget_limited"
  if (requested === "active" && isOverBudget(tokensUsed, tokenBudget)) return "budget_limited"
  return requested
}

/**
 * Statuses whose goal accrues usage: tokens spent finishing a turn after the budget stopped
 * the goal still count (the reference's default accounting mode); a paused, blocked,
 * usage-limited or complete goal does not accrue.
 * @since 0.1.0
 */
export const accruesUsage = (status: GoalStatus): boolean => status === "active" || status === "budget_limited"

const fresh = (
  threadId: string,
  goalId: string,
  objective: string,
  status: RequestedGoalStatus,
  tokenBudget: number | null,
  now: number
): Goal => ({
  threadId,
  goalId,
  objective,
  status: statusAfter(status, status, 0, tokenBudget),
  tokenBudget,
  tokensUsed: 0,
  timeUsedMs: 0,
  createdAt: now,
  updatedAt: now
})

/**
 * The reference's limit on an objective's length (characters).
 * @since 0.1.0
 */
export const MAX_OBJECTIVE_CHARS = 4000

/**
 * Why an objective is refused (empty, or longer than `MAX_OBJECTIVE_CHARS`), or undefined.
 * @since 0.1.0
 */
export const objectiveProblem = (objective: string): string | undefined =>
  objective.trim() === ""
    ? "an objective must not be empty"
    : [...objective].length > MAX_OBJECTIVE_CHARS
    ? `an objective has at most ${MAX_OBJECTIVE_CHARS} characters (this one has ${[...objective].length})`
    : undefined

const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0)

/**
 * Applies a command to the thread's current goal (`undefined`: none) at `now`.
 * @since 0.1.0
 */
export const decide = (current: Goal | undefined, command: GoalCommand, now: number): GoalDecision => {
  if (command._tag === "PauseIfActive") {
    return current === undefined
      ? GoalDecision.Stale({ currentGoalId: null })
      : current.status === "active"
      ? GoalDecision.Write({ goal: { ...current, status: "paused", updatedAt: now } })
      : GoalDecision.Unchanged({ goal: current })
  }
  if (command._tag === "Create") {
    return current === undefined
      ? GoalDecision.Write({
        goal: fresh(command.threadId, command.newGoalId, command.objective, command.status, command.tokenBudget, now)
      })
      : GoalDecision.Exists({ currentGoalId: current.goalId })
  }
  if (current === undefined || current.goalId !== command.expectedGoalId) {
    return GoalDecision.Stale({ currentGoalId: current?.goalId ?? null })
  }
  switch (command._tag) {
    case "Replace":
      return GoalDecision.Write({
        goal: fresh(command.threadId, command.newGoalId, command.objective, command.status, command.tokenBudget, now)
      })
    case "Delete":
      return GoalDecision.Remove({ goal: current })
    case "Update": {
      if (command.status === undefined && command.tokenBudget === undefined && command.objective === undefined) {
        return GoalDecision.Unchanged({ goal: current })
      }
      const tokenBudget = command.tokenBudget === undefined ? current.tokenBudget : command.tokenBudget
      const status = statusAfter(current.status, command.status ?? current.status, current.tokensUsed, tokenBudget)
      const objective = command.objective ?? current.objective
      return GoalDecision.Write({ goal: { ...current, objective, status, tokenBudget, updatedAt: now } })
    }
    case "AccountUsage": {
      const tokens = nonNegative(command.tokens)
      const timeMs = nonNegative(command.timeMs)
      if ((tokens === 0 && timeMs === 0) || !accruesUsage(current.status)) {
        return GoalDecision.Unchanged({ goal: current })
      }
      const tokensUsed = current.tokensUsed + tokens
      return GoalDecision.Write({
        goal: {
          ...current,
          tokensUsed,
          timeUsedMs: current.timeUsedMs + timeMs,
          status: statusAfter(current.status, current.status, tokensUsed, current.tokenBudget),
          updatedAt: now
        }
      })
    }
  }
}
