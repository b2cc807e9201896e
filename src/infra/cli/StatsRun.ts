/**
 * The database side of `stats` (see StatsCommand.ts), loaded only when it runs.
 * @since 0.1.0
 */
import { Effect } from "effect"
import { threadStats, type ThreadStatsQuery } from "../../projections/ThreadStats.js"
import { SqlDatabase } from "../sql/SqlDatabase.js"
import { type DatabaseOptions, withExisting } from "./CliDatabase.js"

/** @since 0.1.0 */
export const readStats = (options: DatabaseOptions, home: string, query: ThreadStatsQuery) =>
  withExisting(
    options,
    Effect.flatMap(SqlDatabase, (database) => Effect.mapError(threadStats(query), database.toDatabaseError("stats"))),
    `no database yet: run \`rollout-state backfill --home ${home}\` to project the home's rollouts`,
    true
  )
