/**
 * What the conformance kit runs against: a way to make a fresh database for a case, and a way to
 * open an engine layer over a home and that database, as often as the case restarts it.
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, type Layer, type Scope } from "effect"
import { randomUUID } from "node:crypto"
import { join } from "node:path"
import * as Engine from "../infra/engine/Engine.js"
import type { EngineError } from "../infra/engine/EngineError.js"
import type { BatchProgress } from "../infra/engine/replay/Report.js"
import type { DatabaseError } from "../infra/sql/SqlDatabase.js"

/**
 * What a case opens an engine with. `database` is whatever the factory's `database` made (a
 * SQLite file; for PostgreSQL a URL and a schema); the rest are `Engine.layer`'s options.
 * @since 0.1.0
 * @category models
 */
export interface OpenOptions<D> {
  readonly home: string
  readonly database: D
  /** Files per backfill batch: cases make it small, so a backfill has several checkpoints. */
  readonly batchSize?: number
  /** Whether the open runs a pending backfill (default true). */
  readonly openBackfill?: boolean
  /** How long the open waits for that backfill (ms). */
  readonly backfillGateMs?: number
  /** Progress of the open's backfill, after every batch. */
  readonly onOpenBackfill?: (progress: BatchProgress) => void
  /** The host this engine is, on a database hosts share (the two-hosts case opens two). */
  readonly hostId?: string
}

/**
 * An engine under test. Every case gets a scratch folder of its own; `database(dir)` makes an
 * empty database for it (released with the scope), and `layer` opens the engine: each call is a
 * new open (a restart), and two layers opened at once are two writers on one home. The layer
 * must provide the engine's `SqlClient` too: cases read and tamper with rows through it, in SQL
 * both dialects take.
 * @since 0.1.0
 * @category models
 */
export interface EngineFactory<D = string, E = never> {
  /** Names the target in failures ("SQLite", "PostgreSQL"). */
  readonly name: string
  readonly database: (dir: string) => Effect.Effect<D, E, Scope.Scope>
  readonly layer: (options: OpenOptions<D>) => Layer.Layer<Engine.Engine | SqlClient.SqlClient, EngineError | E>
  /**
   * Whether hosts with homes of their own can share one database (PostgreSQL): the suite then
   * has the two-hosts case. A SQLite file belongs to one host.
   */
  readonly sharedByHosts?: boolean
}

/**
 * The embedded default: a SQLite file in the case's folder, opened by `Engine.layer`.
 * @since 0.1.0
 */
export const sqlite: EngineFactory<string> = {
  name: "SQLite",
  database: (dir) => Effect.succeed(join(dir, "state.sqlite")),
  layer: (options) => Engine.layer(options)
}

/** A name that needs no quoting in `search_path` or in SQL. */
const scratchName = () => `conformance_${randomUUID().replaceAll("-", "").slice(0, 20)}`

/**
 * PostgreSQL at `url`: each case gets a schema of its own, dropped with the case. Hosts share
 * it, so the suite has the two-hosts case. `@effect/sql-pg` (an optional peer) is loaded here.
 * @since 0.1.0
 */
export const postgres = (url: string): EngineFactory<string, DatabaseError> => ({
  name: "PostgreSQL",
  sharedByHosts: true,
  database: () =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const schema = scratchName()
        const at = new URL(url)
        at.searchParams.set("schema", schema)
        return { schema, database: at.toString() }
      }),
      ({ schema }) =>
        Effect.promise(() => import("../infra/pg/PgDatabase.js")).pipe(
          Effect.flatMap((pg) =>
            Effect.scoped(Effect.flatMap(
              pg.open({ url, schema, hostId: "conformance", maxConnections: 1 }),
              (db) => db.sql`DROP SCHEMA IF EXISTS ${db.sql(schema)} CASCADE`
            ))
          ),
          // The case has already failed saying why the server cannot be reached.
          Effect.ignore
        )
    ).pipe(Effect.map(({ database }) => database)),
  layer: (options) => Engine.layer({ ...options, hostId: options.hostId ?? "conformance-host" })
})
