/**
 * `logs [--thread ID] [--level L] [--search S] [--limit N] [--follow]` (SPEC §10): the newest
 * lines, printed oldest first; `--follow` then prints new lines as they arrive until
 * interrupted. Opens the database alone: reading logs never catches projections up.
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { LOG_LEVELS } from "../../domain/LogLine.js"
import { db, home, hostId, json, limitOption, threadIdOption } from "./GlobalOptions.js"

const thread = threadIdOption("only this thread's lines")
const level = Options.text("level").pipe(
  Options.withDescription(`${LOG_LEVELS.map((l) => l.toLowerCase()).join("|")}: that level and more severe`),
  Options.optional
)
const search = Options.text("search").pipe(
  Options.withDescription("case-sensitive substring of the message"),
  Options.optional
)
const limit = limitOption({ default: 100, max: 10_000, what: "how many of the newest lines" })
const follow = Options.boolean("follow").pipe(
  Options.withDescription("then print new lines as they arrive, until Ctrl-C")
)

/** @since 0.1.0 */
export const logsCommand = Command.make(
  "logs",
  { home, db, hostId, json, thread, level, search, limit, follow },
  (options) => Effect.flatMap(Effect.promise(() => import("./LogsRun.js")), (run) => run.runLogs(options))
).pipe(Command.withDescription("print operational log lines, newest last; --follow tails them"))
