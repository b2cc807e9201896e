/**
 * `goals show ID` and `goals list [--limit N] [--status S]`: the thread goals of a home's
 * database (SPEC §9, §11). Reading only: the database is opened alone (no catch-up), read-only
 * when this process cannot write it.
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { GoalStatus } from "../../domain/Goal.js"
import { db, home, hostId, json, threadIdArg } from "./GlobalOptions.js"

const run = Effect.promise(() => import("./StoresRun.js"))

const showCommand = Command.make(
  "show",
  { home, db, hostId, json, id: threadIdArg },
  (options) => Effect.flatMap(run, (stores) => stores.showGoal(options))
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
  { home, db, hostId, json, limit, status },
  (options) => Effect.flatMap(run, (stores) => stores.listGoals(options))
).pipe(Command.withDescription("every thread's goal, most recently updated first"))

/** @since 0.1.0 */
export const goalsCommand = Command.make("goals").pipe(
  Command.withDescription("thread goals"),
  Command.withSubcommands([showCommand, listCommand])
)
