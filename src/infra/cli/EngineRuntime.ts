/**
 * How CLI commands get an engine: resolve `--home`/`--db`, check the home, build the layer.
 * @since 0.1.0
 */
import { SqlError } from "@effect/sql/SqlError"
import { Console, Effect, Option } from "effect"
import { stat } from "node:fs/promises"
import * as Engine from "../engine/Engine.js"
import type { BatchProgress } from "../engine/replay/Backfill.js"
import { HomeNotFound } from "../rollout/RolloutFiles.js"
import { isWritable, toDatabaseError } from "../sqlite/Database.js"
import { withCommandLog } from "./CommandLog.js"
import { DEFAULT_MODEL_PROVIDER, resolveDb, resolveHome } from "./GlobalOptions.js"
import { makeProgress } from "./Progress.js"

/** @since 0.1.0 */
export interface EngineOptions {
  readonly home: Option.Option<string>
  readonly db: Option.Option<string>
}

/**
 * Runs `use` with an engine over the resolved home and database. A command that only reads
 * (`access: "read"`) opens a database this process cannot write read-only, without catching
 * it up (SPEC §12); the others open it for writing.
 * @since 0.1.0
 */
export const withEngine = <A, E>(
  options: EngineOptions,
  use: (engine: Engine.Engine) => Effect.Effect<A, E>,
  access: "read" | "write" = "write"
) =>
  Effect.gen(function*() {
    const home = resolveHome(options.home)
    const isDir = yield* Effect.promise(() => stat(home).then((s) => s.isDirectory(), () => false))
    if (!isDir) return yield* new HomeNotFound({ home, reason: "home folder not found" })
    const database = resolveDb(options.db, home)
    const layer = Engine.layer({
      home,
      database,
      defaultModelProvider: DEFAULT_MODEL_PROVIDER,
      readonly: access === "read" && !isWritable(database)
    })
    // A command that writes also writes its own log lines (a reading one leaves the database as it is).
    const run = access === "write" ? (engine: Engine.Engine) => withCommandLog(database)(use(engine)) : use
    return yield* Effect.flatMap(Engine.Engine, run).pipe(
      Effect.provide(layer),
      // `sql.withTransaction` turns a failed COMMIT (a full disk) into a defect: name the database.
      Effect.catchSomeDefect((defect) =>
        defect instanceof SqlError
          ? Option.some(Effect.fail(toDatabaseError(database, "commit")(defect)))
          : Option.none()
      )
    )
  })

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
