/**
 * The engine's database, chosen by what `database` names: a SQLite file (the default), or a
 * PostgreSQL server a fleet of hosts shares (`postgres://…`). `@effect/sql-pg` is an optional
 * peer, loaded only for a PostgreSQL URL: a host on SQLite never needs it installed.
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import { displayName, isPostgresUrl, schemaOfUrl } from "../pg/PgUrl.js"
import { DatabaseError, type SqlDatabase } from "../sql/SqlDatabase.js"
import * as Database from "../sqlite/Database.js"
import { InvalidInput } from "./EngineError.js"
import { resolveHostId } from "./ResolveHostId.js"

/** @since 0.1.0 */
export interface EngineDatabaseOptions {
  /** A SQLite file, or `postgres://user[:password]@host[:port]/database[?schema=name]`. */
  readonly database: string
  /** PostgreSQL: the schema (default `rollout_state`); the URL's `?schema=` says the same. */
  readonly schema?: string
  /**
   * PostgreSQL: the host whose rows this engine writes; default `ROLLOUT_STATE_HOST_ID`, else
   * the machine's host name (`ResolveHostId`).
   */
  readonly hostId?: string
  /** SQLite only: open read-only. */
  readonly readonly?: boolean
  /** SQLite only: how long a writer waits for another process's lock (ms). */
  readonly busyTimeoutMs?: number
  /** PostgreSQL: connections of the pool (default 10). */
  readonly maxConnections?: number
}

const pgLayer = (options: EngineDatabaseOptions) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const { schema: inUrl, url } = schemaOfUrl(options.database)
    if (options.schema !== undefined && inUrl !== undefined && options.schema !== inUrl) {
      return yield* new InvalidInput({
        what: "schema",
        reason: `the URL names schema "${inUrl}" and the option schema "${options.schema}"`
      })
    }
    if (options.readonly === true) {
      return yield* new InvalidInput({
        what: "readonly",
        reason: "a PostgreSQL database is opened read-write (read-only opens are SQLite's)"
      })
    }
    const schema = options.schema ?? inUrl
    const hostId = yield* resolveHostId({ flag: options.hostId })
    const pg = yield* Effect.tryPromise({
      try: () => import("../pg/PgDatabase.js"),
      catch: (cause) =>
        new DatabaseError({
          file: displayName(url, schema ?? "rollout_state"),
          operation: "open",
          reason: "cannot-open",
          detail: `PostgreSQL needs the optional peer dependency @effect/sql-pg: install it (${
            cause instanceof Error ? cause.message : String(cause)
          })`,
          cause
        })
    })
    return pg.layer({
      url,
      hostId,
      ...(schema === undefined ? {} : { schema }),
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections })
    })
  }))

/**
 * The database `options.database` names, opened and migrated, as its `SqlDatabase` and
 * `SqlClient` (and, for SQLite, its `Database`).
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: EngineDatabaseOptions
): Layer.Layer<SqlDatabase | SqlClient.SqlClient, DatabaseError | InvalidInput> =>
  isPostgresUrl(options.database)
    ? pgLayer(options)
    : Database.layer({
      file: options.database,
      readonly: options.readonly ?? false,
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs })
    })
