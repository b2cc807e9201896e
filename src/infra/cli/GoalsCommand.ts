/**
 * `goals show ID` and `goals list [--limit N] [--status S]`: the thread goals of a home's
 * database (SPEC §9, §11). Reading only: the database is opened alone (no catch-up), read-only
 * when this process cannot write it.
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import type * as SqlClient from "@effect/sql/SqlClient"
import { Console, Effect, Option } from "effect"
import { existsSync } from "node:fs"
import { type Goal, GoalStatus } from "../../domain/Goal.js"
import { InvalidInput } from "../engine/EngineError.js"
import * as Database from "../sqlite/Database.js"
import * as ThreadGoals from "../stores/ThreadGoals.js"
import { db, home, json, resolveDb, resolveHome, threadIdArg } from "./GlobalOptions.js"

/**
 * Runs `use` on the resolved database alone; a database that does not exist is an error
 * (reading creates nothing), one this process cannot write is opened read-only.
 * @since 0.1.0
 */
export const withStateDatabase = <A, E, R>(
  options: { readonly home: Option.Option<string>; readonly db: Option.Option<string> },
  use: Effect.Effect<A, E, R>
): Effect.Effect<A, E | Database.DatabaseError, Exclude<R, Database.Database | SqlClient.SqlClient>> =>
  Effect.suspend(() => {
    const file = resolveDb(options.db, resolveHome(options.home))
    if (!existsSync(file)) {
      return Effect.fail(
        new Database.DatabaseError({ file, operation: "open", reason: "cannot-open", detail: "no database here" })
      )
    }
    return Effect.provide(use, Database.layer({ file, readonly: !Database.isWritable(file) }))
  })

/** @since 0.1.0 */
export const goalJson = (goal: Goal) => ({
  ...goal,
  createdAt: new Date(goal.createdAt).toISOString(),
  updatedAt: new Date(goal.updatedAt).toISOString()
})

const goalText = (goal: Goal): string => {
  const budget = goal.tokenBudget === null ? "no budget" : `budget ${goal.tokenBudget}`
  return `${goal.threadId}  ${goal.status.padEnd(14)} ${goal.tokensUsed} tokens (${budget}), ${
    Math.round(goal.timeUsedMs / 1000)
  } s  goal ${goal.goalId}  updated ${new Date(goal.updatedAt).toISOString()}\n  ${goal.objective}`
}

const showCommand = Command.make(
  "show",
  { home, db, json, id: threadIdArg },
  (options) =>
    withStateDatabase(
      options,
      Effect.gen(function*() {
        const goals = yield* ThreadGoals.make
        const goal = yield* goals.get(options.id)
        if (Option.isNone(goal)) {
          return yield* new InvalidInput({ what: `goals show ${options.id}`, reason: "the thread has no goal" })
        }
        yield* Console.log(options.json ? JSON.stringify(goalJson(goal.value), null, 2) : goalText(goal.value))
      })
    )
).pipe(Command.withDescription("a thread's goal: objective, status, usage against its budget"))

const limit = Options.integer("limit").pipe(
  Options.withDefault(100),
  Options.withDescription("at most N goals (1-10000)")
)
const status = Options.choice("status", GoalStatus.literals).pipe(
  Options.withDescription("only goals with this status"),
  Options.optional
)

const listCommand = Command.make(
  "list",
  { home, db, json, limit, status },
  (options) =>
    withStateDatabase(
      options,
      Effect.gen(function*() {
        const goals = yield* ThreadGoals.make
        const listed = yield* goals.list({
          limit: options.limit,
          ...Option.match(options.status, { onNone: () => ({}), onSome: (value) => ({ status: value }) })
        })
        if (options.json) yield* Console.log(JSON.stringify(listed.map(goalJson), null, 2))
        else if (listed.length === 0) yield* Console.error("no goals")
        else yield* Console.log(listed.map(goalText).join("\n"))
      })
    )
).pipe(Command.withDescription("every thread's goal, most recently updated first"))

/** @since 0.1.0 */
export const goalsCommand = Command.make("goals").pipe(
  Command.withDescription("thread goals"),
  Command.withSubcommands([showCommand, listCommand])
)
