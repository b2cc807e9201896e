/**
 * The database a command names: `--db` (else `$ROLLOUT_STATE_DB`, else `<home>/state.sqlite`),
 * a SQLite file or a PostgreSQL URL, and `--host-id` for the latter.
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer, Option } from "effect"
import { existsSync } from "node:fs"
import * as EngineDatabase from "../engine/EngineDatabase.js"
import type { InvalidInput } from "../engine/EngineError.js"
import { isPostgresUrl } from "../pg/PgUrl.js"
import { DatabaseError, type SqlDatabase } from "../sql/SqlDatabase.js"
import { isWritable } from "../sqlite/Database.js"
import { resolveDb, resolveHome } from "./GlobalOptions.js"

/** @since 0.1.0 */
export interface DatabaseOptions {
  readonly home: Option.Option<string>
  readonly db: Option.Option<string>
  readonly hostId?: Option.Option<string>
}

/** @since 0.1.0 */
export const resolveDatabase = (options: DatabaseOptions, home = resolveHome(options.home)) => {
  const database = resolveDb(options.db, home)
  const hostId = options.hostId === undefined ? undefined : Option.getOrUndefined(options.hostId)
  return { database, ...(hostId === undefined ? {} : { hostId }) }
}

/**
 * The database to read (and write) operational state in: a SQLite file that must exist
 * (`missing` says what to do instead), opened read-only when `readonly` or this process cannot
 * write it (a read-only open is not migrated); or
 * the PostgreSQL database hosts share.
 * @since 0.1.0
 */
export const existingLayer = (
  options: DatabaseOptions,
  missing = "no database here",
  readonly = false
): Layer.Layer<SqlDatabase | SqlClient.SqlClient, DatabaseError | InvalidInput> => {
  const target = resolveDatabase(options)
  if (isPostgresUrl(target.database)) return EngineDatabase.layer(target)
  if (!existsSync(target.database)) {
    return Layer.fail(
      new DatabaseError({ file: target.database, operation: "open", reason: "cannot-open", detail: missing })
    )
  }
  return EngineDatabase.layer({ ...target, readonly: readonly || !isWritable(target.database) })
}

/** `existingLayer`'s failure to open, as the command's failure. @since 0.1.0 */
export const withExisting = <A, E, R>(
  options: DatabaseOptions,
  use: Effect.Effect<A, E, R>,
  missing?: string,
  readonly?: boolean
) => Effect.provide(use, existingLayer(options, missing, readonly))
