/**
 * The engine side of a command, loaded only when a command runs (never for `--help` or a
 * usage error): resolve `--home`/`--db`, check the home, build the engine layer.
 * @since 0.1.0
 */
import { SqlError } from "@effect/sql/SqlError"
import Sqlite from "better-sqlite3"
import { Effect, Option } from "effect"
import { existsSync } from "node:fs"
import { stat } from "node:fs/promises"
import * as Engine from "../engine/Engine.js"
import { isPostgresUrl, withoutPassword } from "../pg/PgUrl.js"
import { HomeNotFound } from "../rollout/RolloutFiles.js"
import { DatabaseError, toDatabaseError } from "../sqlite/Database.js"
import { resolveDatabase } from "./CliDatabase.js"
import { withCommandLog } from "./CommandLog.js"
import { batchProgress, type EngineOptions } from "./EngineRuntime.js"
import { DEFAULT_MODEL_PROVIDER, resolveHome } from "./GlobalOptions.js"

/** The home's backfill status, read without opening the engine; undefined when there is no readable one. */
const backfillStatus = (database: string): string | undefined => {
  if (!existsSync(database)) return undefined
  try {
    const db = new Sqlite(database, { readonly: true, fileMustExist: true })
    try {
      return (db.prepare("SELECT status FROM backfill_state WHERE id = 1").get() as { status: string } | undefined)
        ?.status
    } finally {
      db.close()
    }
  } catch {
    return undefined
  }
}

/**
 * Runs `use` with an engine over the resolved home and database. A command that only reads
 * (`access: "read"`) of a backfilled home opens the database read-only and does not catch it
 * up: catching up stats every thread's file (seconds at 1M threads), and reads show what was
 * projected; `backfill` or `watch` bring it current (docs/decisions.md, "CLI start-up"). Every
 * other open runs a pending backfill to its end first, with a progress bar (SPEC §11), except
 * `access: "replay"`, the commands that are themselves a backfill or rebuild. A home that
 * cannot be written is read as it is.
 * @since 0.1.0
 */
export const withEngine = <A, E>(
  options: EngineOptions,
  use: (engine: Engine.Engine) => Effect.Effect<A, E>,
  access: "read" | "write" | "replay" = "write"
) =>
  Effect.gen(function*() {
    const home = resolveHome(options.home)
    const isDir = yield* Effect.promise(() => stat(home).then((s) => s.isDirectory(), () => false))
    if (!isDir) return yield* new HomeNotFound({ home, reason: "home folder not found" })
    const { database, ...host } = resolveDatabase(options, home)
    const shared = isPostgresUrl(database)
    const progress = batchProgress("backfill", options.json ?? false)
    const open = (readonly: boolean) => {
      const layer = Engine.layer({
        home,
        database,
        ...host,
        defaultModelProvider: DEFAULT_MODEL_PROVIDER,
        readonly,
        openBackfill: access !== "replay",
        backfillGateMs: Infinity,
        onOpenBackfill: progress.onProgress
      })
      // A command that writes also writes its own log lines (a reading one leaves the database as it is).
      const run = access === "read" ? use : (engine: Engine.Engine) => withCommandLog(options)(use(engine))
      return Effect.flatMap(Engine.Engine, (engine) => {
        progress.finish()
        return run(engine)
      }).pipe(
        Effect.provide(layer),
        // `sql.withTransaction` turns a failed COMMIT (a full disk) into a defect: name the database.
        Effect.catchSomeDefect((defect) =>
          defect instanceof SqlError
            ? Option.some(Effect.fail(toDatabaseError(shared ? withoutPassword(database) : database, "commit")(defect)))
            : Option.none()
        )
      )
    }
    // PostgreSQL opens read-write (other hosts write it all the while: there is no snapshot to keep).
    if (access !== "read" || shared) return yield* open(false)
    if (backfillStatus(database) === "complete") return yield* open(true)
    // Not backfilled yet: backfill it first, unless the home cannot be written.
    return yield* open(false).pipe(Effect.catchIf(
      (error) => existsSync(database) && error instanceof DatabaseError && error.reason === "read-only",
      () => open(true)
    ))
  })
