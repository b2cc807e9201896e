/**
 * A command's own log lines (SPEC §7, issue 17): its start, everything it prints (its summary
 * at INFO, its problems, printed to stderr, at WARN), and its end or failure, written to the
 * `logs` table of its database through the SQLite logger, so `rollout-state logs` shows what
 * the last commands did. The console is teed, so the commands themselves stay as they are.
 * @since 0.1.0
 */
import { Cause, Console, Effect, FiberRef, HashSet, Layer, type Logger } from "effect"
import * as EngineDatabase from "../engine/EngineDatabase.js"
import type { InvalidInput } from "../engine/EngineError.js"
import { withoutPassword } from "../pg/PgUrl.js"
import type { DatabaseError } from "../sql/SqlDatabase.js"
import * as SqliteLogger from "../stores/SqliteLogger.js"
import { type DatabaseOptions, resolveDatabase } from "./CliDatabase.js"

/** The target of the CLI's own lines. @since 0.1.0 */
export const CLI_TARGET = "rollout-state::cli"

/** A PostgreSQL URL in an argument (`--db URL`, `--db=URL`) as logged: without its password. */
const withoutPasswords = (arg: string): string => arg.replace(/postgres(ql)?:\/\/\S+/gi, withoutPassword)

const text = (args: ReadonlyArray<unknown>): string =>
  args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ")

/**
 * Runs `effect` (a command) with its lines logged to the database `options` name. The SQLite logger is
 * the only logger here (the runtime's console logger is set aside), so a command's stdout
 * (JSON, tables) is never mixed with log lines.
 * @since 0.1.0
 */
export const withCommandLog =
  (options: DatabaseOptions, command: string = process.argv.slice(2).map(withoutPasswords).join(" ")) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | DatabaseError | InvalidInput, R> =>
    Effect.gen(function*() {
      const console = yield* Console.consoleWith(Effect.succeed)
      const teed: Console.Console = {
        ...console,
        log: (...args: ReadonlyArray<unknown>) => Effect.zipRight(console.log(...args), Effect.logInfo(text(args))),
        error: (...args: ReadonlyArray<unknown>) =>
          Effect.zipRight(console.error(...args), Effect.logWarning(text(args)))
      }
      const { logger } = yield* SqliteLogger.SqliteLogger
      const started = performance.now()
      const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`
      return yield* Effect.zipRight(
        Effect.logInfo(`${command}: started`),
        Effect.withConsole(effect, teed).pipe(
          Effect.tapErrorCause((cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.logWarning(`${command}: interrupted after ${elapsed()}`)
              : Effect.logError(`${command}: failed after ${elapsed()}`, cause)
          ),
          Effect.tap(() => Effect.logInfo(`${command}: finished in ${elapsed()}`))
        )
      ).pipe(Effect.locally(FiberRef.currentLoggers, HashSet.make<Array<Logger.Logger<unknown, unknown>>>(logger)))
    }).pipe(
      Effect.provide(
        SqliteLogger.layer({ target: CLI_TARGET }).pipe(
          Layer.provide(EngineDatabase.layer(resolveDatabase(options)))
        )
      )
    )
