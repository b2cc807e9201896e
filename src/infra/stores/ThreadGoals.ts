/**
 * The `thread_goals` store (SPEC §9). Each operation reads the thread's goal, applies
 * `Goal.decide` and writes the result inside one `BEGIN IMMEDIATE` transaction, so two
 * processes sharing the database serialize and an update naming a replaced goal never wins.
 * @since 0.1.0
 */
import { Clock, Context, Data, Effect, Layer, Option, Schema } from "effect"
import { type Goal, GoalCommand, type GoalDecision, GoalStatus, type RequestedGoalStatus } from "../../domain/Goal.js"
import * as GoalRules from "../../domain/Goal.js"
import { InvalidInput, validThreadId } from "../engine/EngineError.js"
import { type DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import { storeFailure } from "./StoreFailure.js"

/**
 * An update, delete or usage report named a goal that is no longer the thread's goal
 * (replaced or deleted); nothing was changed.
 * @since 0.1.0
 * @category errors
 */
export class StaleGoal extends Schema.TaggedError<StaleGoal>()("StaleGoal", {
  threadId: Schema.String,
  expectedGoalId: Schema.String,
  currentGoalId: Schema.NullOr(Schema.String),
  operation: Schema.String
}) {
  override get message(): string {
    const current = this.currentGoalId === null ? "the thread has no goal" : `the current goal is ${this.currentGoalId}`
    return `thread_goals: ${this.operation}: thread ${this.threadId}: goal ${this.expectedGoalId} is stale (${current})`
  }
}

/**
 * `create` on a thread that already has a goal (replace it by naming it instead).
 * @since 0.1.0
 * @category errors
 */
export class GoalExists extends Schema.TaggedError<GoalExists>()("GoalExists", {
  threadId: Schema.String,
  currentGoalId: Schema.String
}) {
  override get message(): string {
    return `thread_goals: create: thread ${this.threadId} already has goal ${this.currentGoalId}`
  }
}

/**
 * A `thread_goals` row as SQLite returns it.
 * @since 0.1.0
 * @category schemas
 */
export const GoalRow = Schema.Struct({
  thread_id: Schema.String,
  goal_id: Schema.String,
  objective: Schema.String,
  status: GoalStatus,
  token_budget: Schema.NullOr(Schema.NonNegativeInt),
  tokens_used: Schema.NonNegativeInt,
  time_used_ms: Schema.NonNegativeInt,
  created_at_ms: Schema.Int,
  updated_at_ms: Schema.Int
})

/**
 * A row decoded to a goal.
 * @since 0.1.0
 * @category schemas
 */
export const GoalFromRow = Schema.transform(GoalRow, GoalRules.Goal, {
  strict: true,
  decode: (row) => ({
    threadId: row.thread_id,
    goalId: row.goal_id,
    objective: row.objective,
    status: row.status,
    tokenBudget: row.token_budget,
    tokensUsed: row.tokens_used,
    timeUsedMs: row.time_used_ms,
    createdAt: row.created_at_ms,
    updatedAt: row.updated_at_ms
  }),
  encode: (goal) => ({
    thread_id: goal.threadId,
    goal_id: goal.goalId,
    objective: goal.objective,
    status: goal.status,
    token_budget: goal.tokenBudget,
    tokens_used: goal.tokensUsed,
    time_used_ms: goal.timeUsedMs,
    created_at_ms: goal.createdAt,
    updated_at_ms: goal.updatedAt
  })
})

/**
 * What a usage report did: counted it, or left the goal as it was (no usage, or a goal that
 * does not accrue: paused or complete).
 * @since 0.1.0
 * @category models
 */
export type UsageOutcome = Data.TaggedEnum<{
  Accounted: { readonly goal: Goal }
  Unchanged: { readonly goal: Goal }
}>

/** @since 0.1.0 @category constructors */
export const UsageOutcome = Data.taggedEnum<UsageOutcome>()

/** @since 0.1.0 @category models */
export interface NewGoal {
  readonly threadId: string
  readonly objective: string
  /** Default `active`. */
  readonly status?: RequestedGoalStatus
  /** Default none. */
  readonly tokenBudget?: number | null
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ThreadGoals {
  readonly get: (threadId: string) => Effect.Effect<Option.Option<Goal>, InvalidInput | DatabaseError>
  /** Sets a thread's first goal; a thread that has one fails with `GoalExists`. */
  readonly create: (input: NewGoal) => Effect.Effect<Goal, GoalExists | InvalidInput | DatabaseError>
  /** Replaces the named goal by a new one (new `goal_id`, usage from zero). */
  readonly replace: (
    input: NewGoal & { readonly expectedGoalId: string }
  ) => Effect.Effect<Goal, StaleGoal | InvalidInput | DatabaseError>
  /**
   * Changes objective, status and/or budget, keeping the usage; `tokenBudget`: absent keeps,
   * `null` clears.
   */
  readonly update: (input: {
    readonly threadId: string
    readonly expectedGoalId: string
    readonly objective?: string
    readonly status?: RequestedGoalStatus
    readonly tokenBudget?: number | null
  }) => Effect.Effect<Goal, StaleGoal | InvalidInput | DatabaseError>
  /** Pauses the thread's goal if it is `active`: the paused goal, or none (no goal, or not active). */
  readonly pauseIfActive: (threadId: string) => Effect.Effect<Option.Option<Goal>, InvalidInput | DatabaseError>
  /** Goals, most recently updated first (default 100, at most 10,000), optionally of one status. */
  readonly list: (
    input?: { readonly limit?: number; readonly status?: GoalStatus }
  ) => Effect.Effect<ReadonlyArray<Goal>, InvalidInput | DatabaseError>
  /** Removes the named goal and returns it. */
  readonly delete: (
    input: { readonly threadId: string; readonly expectedGoalId: string }
  ) => Effect.Effect<Goal, StaleGoal | InvalidInput | DatabaseError>
  /** Adds tokens and time (negative deltas count as zero) to the named goal. */
  readonly accountUsage: (input: {
    readonly threadId: string
    readonly expectedGoalId: string
    readonly tokens: number
    readonly timeMs: number
  }) => Effect.Effect<UsageOutcome, StaleGoal | InvalidInput | DatabaseError>
}

/** @since 0.1.0 @category tags */
export const ThreadGoals = Context.GenericTag<ThreadGoals>("rollout-state/ThreadGoals")

const TABLE = "thread_goals"

const withDefaults = (input: NewGoal, newGoalId: string) => ({
  threadId: input.threadId,
  newGoalId,
  objective: input.objective,
  status: input.status ?? "active",
  tokenBudget: input.tokenBudget ?? null
})
const decodeRow = Schema.decodeUnknown(GoalFromRow)
const decodeRows = Schema.decodeUnknown(Schema.Array(GoalFromRow))
const MAX_LIST = 10_000

const validObjective = (objective: string | undefined, operation: string) => {
  const problem = objective === undefined ? undefined : GoalRules.objectiveProblem(objective)
  return problem === undefined
    ? Effect.void
    : Effect.fail(new InvalidInput({ what: `${TABLE}: ${operation}: objective`, reason: problem }))
}
const encodeRow = Schema.encodeSync(GoalFromRow)

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const database = yield* SqlDatabase
  const sql = database.sql
  const storeError = storeFailure(database, TABLE)

  const load = (threadId: string) =>
    Effect.flatMap(
      sql`SELECT * FROM thread_goals WHERE thread_id = ${threadId}`,
      (rows) => rows[0] === undefined ? Effect.succeed(undefined) : decodeRow(rows[0])
    )

  const apply = (decision: GoalDecision) => {
    switch (decision._tag) {
      case "Write": {
        const row = encodeRow(decision.goal)
        return sql`INSERT INTO thread_goals ${sql.insert(row)} ON CONFLICT (thread_id) DO UPDATE SET
          goal_id = excluded.goal_id, objective = excluded.objective, status = excluded.status,
          token_budget = excluded.token_budget, tokens_used = excluded.tokens_used,
          time_used_ms = excluded.time_used_ms, created_at_ms = excluded.created_at_ms,
          updated_at_ms = excluded.updated_at_ms`
      }
      case "Remove":
        return sql`DELETE FROM thread_goals WHERE thread_id = ${decision.goal.threadId} AND goal_id = ${decision.goal.goalId}`
      default:
        return Effect.void
    }
  }

  // Read, decide and write under the thread's lock: the decision is taken on the row it
  // changes. A lock, not `SELECT … FOR UPDATE`: a create finds no row to lock.
  const run = (command: GoalCommand, operation: string) =>
    Effect.zipRight(
      Effect.zipRight(
        validThreadId(command.threadId, `${TABLE}: ${operation}: thread id`),
        validObjective("objective" in command ? command.objective : undefined, operation)
      ),
      database.exclusive(`${TABLE}:${command.threadId}`)(Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const decision = GoalRules.decide(yield* load(command.threadId), command, now)
        yield* apply(decision)
        return decision
      })).pipe(Effect.mapError(storeError(operation)))
    )

  const stale = (
    command: GoalCommand & { readonly expectedGoalId: string },
    operation: string,
    currentGoalId: string | null
  ) => new StaleGoal({ threadId: command.threadId, expectedGoalId: command.expectedGoalId, currentGoalId, operation })

  // The goal a named-goal command left, or StaleGoal.
  const named = (command: GoalCommand & { readonly expectedGoalId: string }, operation: string) =>
    Effect.flatMap(run(command, operation), (decision): Effect.Effect<Goal, StaleGoal> => {
      switch (decision._tag) {
        case "Stale":
          return Effect.fail(stale(command, operation, decision.currentGoalId))
        case "Exists":
          return Effect.dieMessage(`${operation}: a named-goal command cannot decide Exists`)
        default:
          return Effect.succeed(decision.goal)
      }
    })

  const newGoalId = Effect.sync(() => crypto.randomUUID())

  return ThreadGoals.of({
    get: (threadId) =>
      Effect.zipRight(
        validThreadId(threadId, `${TABLE}: get: thread id`),
        load(threadId).pipe(Effect.map(Option.fromNullable), Effect.mapError(storeError("get")))
      ),
    create: (input) =>
      Effect.flatMap(newGoalId, (goalId) =>
        Effect.flatMap(
          run(GoalCommand.Create(withDefaults(input, goalId)), "create"),
          (decision): Effect.Effect<Goal, GoalExists> => {
            switch (decision._tag) {
              case "Write":
                return Effect.succeed(decision.goal)
              case "Exists":
                return Effect.fail(new GoalExists({ threadId: input.threadId, currentGoalId: decision.currentGoalId }))
              default:
                return Effect.dieMessage(`create cannot decide ${decision._tag}`)
            }
          }
        )),
    replace: (input) =>
      Effect.flatMap(
        newGoalId,
        (goalId) =>
          named(
            GoalCommand.Replace({ ...withDefaults(input, goalId), expectedGoalId: input.expectedGoalId }),
            "replace"
          )
      ),
    update: (input) => named(GoalCommand.Update(input), "update"),
    pauseIfActive: (threadId) =>
      Effect.map(
        run(GoalCommand.PauseIfActive({ threadId }), "pause if active"),
        (decision) => decision._tag === "Write" ? Option.some(decision.goal) : Option.none()
      ),
    list: (input = {}) =>
      Effect.gen(function*() {
        const limit = input.limit ?? 100
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) {
          return yield* new InvalidInput({
            what: `${TABLE}: list: limit`,
            reason: `${limit} is not an integer in 1..${MAX_LIST}`
          })
        }
        const rows = input.status === undefined
          ? yield* sql`SELECT * FROM thread_goals ORDER BY updated_at_ms DESC, thread_id DESC LIMIT ${limit}`
          : yield* sql`SELECT * FROM thread_goals WHERE status = ${input.status}
              ORDER BY updated_at_ms DESC, thread_id DESC LIMIT ${limit}`
        return yield* decodeRows(rows)
      }).pipe(Effect.catchTags({ SqlError: storeError("list"), ParseError: storeError("list") })),
    delete: (input) => named(GoalCommand.Delete(input), "delete"),
    accountUsage: (input) => {
      const command = GoalCommand.AccountUsage(input)
      return Effect.flatMap(run(command, "account usage"), (decision): Effect.Effect<UsageOutcome, StaleGoal> => {
        switch (decision._tag) {
          case "Write":
            return Effect.succeed(UsageOutcome.Accounted({ goal: decision.goal }))
          case "Unchanged":
            return Effect.succeed(UsageOutcome.Unchanged({ goal: decision.goal }))
          case "Stale":
            return Effect.fail(stale(command, "account usage", decision.currentGoalId))
          default:
            return Effect.dieMessage(`account usage cannot decide ${decision._tag}`)
        }
      })
    }
  })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(ThreadGoals, make)
