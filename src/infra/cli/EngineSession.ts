/**
 * The engine side of a command, loaded only when a command runs (never for `--help` or a
 * usage error): resolve `--home`/`--db`, check the home, build the engine layer.
 * @since 0.1.0
 */
import { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"
import { stat } from "node:fs/promises"
import * as Engine from "../engine/Engine.js"
import { HomeNotFound } from "../rollout/RolloutFiles.js"
import { isWritable, toDatabaseError } from "../sqlite/Database.js"
import type { EngineOptions } from "./EngineRuntime.js"
import { DEFAULT_MODEL_PROVIDER, resolveDb, resolveHome } from "./GlobalOptions.js"

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
    return yield* Effect.flatMap(Engine.Engine, use).pipe(
      Effect.provide(layer),
      // `sql.withTransaction` turns a failed COMMIT (a full disk) into a defect: name the database.
      Effect.catchSomeDefect((defect) =>
        defect instanceof SqlError
          ? Option.some(Effect.fail(toDatabaseError(database, "commit")(defect)))
          : Option.none()
      )
    )
  })
