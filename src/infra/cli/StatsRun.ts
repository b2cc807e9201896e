/**
 * The database side of `stats` (see StatsCommand.ts), loaded only when it runs.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { threadStats, type ThreadStatsQuery } from "../../projections/ThreadStats.js"
import * as Database from "../sqlite/Database.js"

/** @since 0.1.0 */
export const readStats = (file: string, home: string, query: ThreadStatsQuery) =>
  Effect.gen(function*() {
    if (!existsSync(file)) {
      return yield* new Database.DatabaseError({
        file,
        operation: "open",
        reason: "cannot-open",
        detail: `no database yet: run \`rollout-state backfill --home ${home}\` to project the home's rollouts`
      })
    }
    return yield* threadStats(query).pipe(
      Effect.mapError(Database.toDatabaseError(file, "stats")),
      Effect.provideServiceEffect(SqlClient.SqlClient, Effect.map(Database.Database, (database) => database.sql)),
      Effect.provide(Database.layer({ file, readonly: true }))
    )
  })
