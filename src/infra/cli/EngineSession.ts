/**
 * The engine side of a command, loaded only when a command runs (never for `--help` or a
 * usage error): resolve `--home`/`--db`, check the home, build the engine layer.
 * @since 0.1.0
 */
import { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"
import { existsSync } from "node:fs"
import { stat } from "node:fs/promises"
import * as Engine from "../engine/Engine.js"
import { HomeNotFound } from "../rollout/RolloutFiles.js"
import { DatabaseError, toDatabaseError } from "../sqlite/Database.js"
import { withCommandLog } from "./CommandLog.js"
import type { EngineOptions } from "./EngineRuntime.js"
import { DEFAULT_MODEL_PROVIDER, resolveDb, resolveHome } from "./GlobalOptions.js"

/**
 * Runs `use` with an engine over the resolved home and database. A command that only reads
 * (`access: "read"`) opens the database read-only and does not catch it up: catching up stats
 * every thread's file (seconds at 1M threads), and reads show what was projected; `backfill`
 * or `watch` bring it current (docs/decisions.md, "CLI start-up"). A read with no database
 * says what to run. The others open it for writing.
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
    if (access === "read" && !existsSync(database)) {
      return yield* new DatabaseError({
        file: database,
        operation: "open",
        reason: "cannot-open",
        detail: `no database yet: run \`rollout-state backfill --home ${home}\` to project the home's rollouts`
      })
    }
    const layer = Engine.layer({
      home,
      database,
      defaultModelProvider: DEFAULT_MODEL_PROVIDER,
      readonly: access === "read"
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
