/**
 * Options every command takes (SPEC §10): `--home`, `--db`, `--json`.
 * @since 0.1.0
 */
import { Args, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import { homedir } from "node:os"
import { join } from "node:path"
import { parseThreadId } from "../../domain/ThreadId.js"

/** @since 0.1.0 */
export const home = Options.text("home").pipe(
  Options.withDescription("rollout home folder (default: $CODEX_HOME, else ~/.codex)"),
  Options.optional
)

/** @since 0.1.0 */
export const db = Options.text("db").pipe(
  Options.withDescription(
    "SQLite database file, or a PostgreSQL URL postgres://user@host/db[?schema=S] hosts share (default: $ROLLOUT_STATE_DB, else <home>/state.sqlite)"
  ),
  Options.optional
)

/** @since 0.1.0 */
export const DB_ENV = "ROLLOUT_STATE_DB"

/** @since 0.1.0 */
export const hostId = Options.text("host-id").pipe(
  Options.withDescription(
    "this host's id in a database hosts share (PostgreSQL; default: $ROLLOUT_STATE_HOST_ID, else the host name)"
  ),
  Options.optional
)

/** @since 0.1.0 */
export const json = Options.boolean("json").pipe(Options.withDescription("print machine-readable JSON"))

/** @since 0.1.0 */
export const resolveHome = (option: Option.Option<string>): string =>
  Option.getOrElse(option, () => process.env["CODEX_HOME"] || join(homedir(), ".codex"))

/** @since 0.1.0 */
export const resolveDb = (option: Option.Option<string>, homeDir: string): string =>
  Option.getOrElse(option, () => process.env[DB_ENV] || join(homeDir, "state.sqlite"))

/** @since 0.1.0 */
export const DEFAULT_MODEL_PROVIDER = "openai"

/** A bad id is a usage error (exit 2) raised while parsing, so no command opens anything for it. */
const checkedThreadId = (what: string) => (id: string) =>
  Either.match(parseThreadId(id), {
    onLeft: (reason) => Effect.fail(HelpDoc.p(`${what}: ${reason}`)),
    onRight: (valid) => Effect.succeed<string>(valid)
  })

/** A thread id argument (SPEC §12). @since 0.1.0 */
export const threadIdArg = Args.text({ name: "ID" }).pipe(
  Args.withDescription("thread id (a UUID)"),
  Args.mapEffect(checkedThreadId("thread id"))
)

/** `--thread ID` (SPEC §12). @since 0.1.0 */
export const threadIdOption = (description: string) =>
  Options.text("thread").pipe(
    Options.withDescription(description),
    Options.mapEffect((id) => Effect.mapError(checkedThreadId("--thread")(id), ValidationError.invalidValue)),
    Options.optional
  )

/**
 * `--limit N`, checked the same way by every command while parsing (exit 2, naming the option):
 * a whole number from 1 to `max`; `--limit 0` is an error, never "the default" or "no limit".
 * @since 0.1.0
 */
export const limitOption = (options: { readonly default: number; readonly max: number; readonly what: string }) =>
  Options.text("limit").pipe(
    Options.withPseudoName("N"),
    Options.withDescription(`${options.what}, 1-${options.max}`),
    Options.mapEffect((text) => {
      const n = Number(text)
      if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
        return Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--limit: '${text}' is not an integer`)))
      }
      if (n < 1 || n > options.max) {
        return Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--limit: ${n} is not between 1 and ${options.max}`)))
      }
      return Effect.succeed(n)
    }),
    Options.withDefault(options.default)
  )
