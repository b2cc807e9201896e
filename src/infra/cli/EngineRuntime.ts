/**
 * How CLI commands get an engine: resolve `--home`/`--db`, check the home, build the layer.
 * @since 0.1.0
 */
import { Console, Effect, type Option } from "effect"
import type * as Engine from "../engine/Engine.js"
import type { BatchProgress } from "../engine/replay/Report.js"
import { makeProgress } from "./Progress.js"

/** @since 0.1.0 */
export interface EngineOptions {
  readonly home: Option.Option<string>
  readonly db: Option.Option<string>
  readonly hostId?: Option.Option<string>
  /** Whether stdout carries JSON (no progress bar then). */
  readonly json?: boolean
}

/**
 * Runs `use` with an engine over the resolved home and database (see EngineSession.ts). The
 * engine's modules load here, when a command runs: `--help`, `--version` and usage errors
 * never pay for them (docs/decisions.md, "CLI start-up").
 * @since 0.1.0
 */
export const withEngine = <A, E>(
  options: EngineOptions,
  use: (engine: Engine.Engine) => Effect.Effect<A, E>,
  access: "read" | "write" | "replay" = "write"
) =>
  Effect.flatMap(
    Effect.promise(() => import("./EngineSession.js")),
    (session) => session.withEngine(options, use, access)
  )

/**
 * A progress bar fed by batch progress, for a TTY unless `--json`.
 * @since 0.1.0
 */
export const batchProgress = (label: string, json: boolean) => {
  let bar: ReturnType<typeof makeProgress> | undefined
  let last: BatchProgress | undefined
  return {
    onProgress: (p: BatchProgress) => {
      last = p
      bar ??= makeProgress(label, p.total, !json)
      bar.update(p.scanned, `${p.upserted} projected, ${p.failed} failed`)
    },
    finish: () => bar?.finish(),
    /** Where the run stood after its last batch: what an interrupted run did. */
    last: () => last
  }
}

/** Sets the exit code for "a check found differences" (SPEC §10). @since 0.1.0 */
export const exitWithDifferences = Effect.sync(() => {
  process.exitCode = 1
})

/** Prints JSON or text. @since 0.1.0 */
export const output = (json: boolean, value: unknown, text: () => string) =>
  json ? Console.log(JSON.stringify(value, null, 2)) : Console.log(text())
