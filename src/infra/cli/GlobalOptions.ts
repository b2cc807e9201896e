/**
 * Options every command takes (SPEC §10): `--home`, `--db`, `--json`.
 * @since 0.1.0
 */
import { Options } from "@effect/cli"
import { Option } from "effect"
import { homedir } from "node:os"
import { join } from "node:path"

/** @since 0.1.0 */
export const home = Options.text("home").pipe(
  Options.withDescription("rollout home folder (default: $CODEX_HOME, else ~/.codex)"),
  Options.optional
)

/** @since 0.1.0 */
export const db = Options.text("db").pipe(
  Options.withDescription("SQLite database file (default: <home>/state.sqlite)"),
  Options.optional
)

/** @since 0.1.0 */
export const json = Options.boolean("json").pipe(Options.withDescription("print machine-readable JSON"))

/** @since 0.1.0 */
export const resolveHome = (option: Option.Option<string>): string =>
  Option.getOrElse(option, () => process.env["CODEX_HOME"] || join(homedir(), ".codex"))

/** @since 0.1.0 */
export const resolveDb = (option: Option.Option<string>, homeDir: string): string =>
  Option.getOrElse(option, () => join(homeDir, "state.sqlite"))

/** @since 0.1.0 */
export const DEFAULT_MODEL_PROVIDER = "openai"
