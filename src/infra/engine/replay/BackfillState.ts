/**
 * The backfill's operational state (SPEC §4): one row saying whether a backfill is pending,
 * running (claimed by a process, with a lease) or complete, and the watermark it reached. SQLite
 * has one row (`id = 1`); a database hosts share has one per host (`host_id`), made on first use.
 * A claim is one conditional `UPDATE … RETURNING`: on PostgreSQL (READ COMMITTED) a second
 * claimer waits for the first's row lock, then re-checks the condition on the row as committed,
 * so two claimers never both win.
 * @since 0.1.0
 */
import { Clock, Effect, Schema } from "effect"
import { hostname } from "node:os"
import { type DatabaseError, SqlDatabase } from "../../sql/SqlDatabase.js"

/** @since 0.1.0 */
export type BackfillStatus = "pending" | "running" | "complete"

/** @since 0.1.0 @category schemas */
export const BackfillStateRow = Schema.Struct({
  status: Schema.Literal("pending", "running", "complete"),
  last_watermark: Schema.NullOr(Schema.String),
  last_success_at_ms: Schema.NullOr(Schema.Number),
  updated_at_ms: Schema.Number,
  owner: Schema.NullOr(Schema.String)
})

/** @since 0.1.0 */
export type BackfillState = typeof BackfillStateRow.Type

/** This process, as a backfill owner. */
const OWNER = `pid:${process.pid}:${hostname()}`

/** Whether a claim's process still runs (only knowable on this host; elsewhere the lease decides). */
const ownerAlive = (owner: string): boolean => {
  const match = /^pid:(\d+):(.*)$/.exec(owner)
  if (match === null || match[2] !== hostname()) return true
  try {
    process.kill(Number(match[1]), 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * The backfill state's statements. Each fails with a `DatabaseError` naming what it did.
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const database = yield* SqlDatabase
  const { sql } = database
  const named = (operation: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.mapError(effect, database.toDatabaseError(operation))
  const host = database.hostId
  // This host's row.
  const row = host === null ? sql`id = 1` : sql`host_id = ${host}`
  const ensureRow = host === null
    ? Effect.void
    : sql`INSERT INTO backfill_state (host_id, status, updated_at_ms) VALUES (${host}, 'pending', 0)
        ON CONFLICT (host_id) DO NOTHING`.pipe(Effect.asVoid, named("create backfill state"))

  const read: Effect.Effect<BackfillState, DatabaseError> = Effect.zipRight(
    ensureRow,
    Effect.flatMap(
      sql`SELECT status, last_watermark, last_success_at_ms, updated_at_ms, owner FROM backfill_state WHERE ${row}`,
      (rows) => Effect.orDie(Schema.decodeUnknown(BackfillStateRow)(rows[0]))
    ).pipe(named("read backfill state"))
  )

  /** A complete backfill becomes pending from the start, so a new scan picks up files added since. */
  const restart = Effect.flatMap(
    Effect.zipRight(ensureRow, Clock.currentTimeMillis),
    (now) =>
      sql`UPDATE backfill_state SET status = 'pending', last_watermark = NULL, updated_at_ms = ${now}
        WHERE ${row} AND status = 'complete'`
  ).pipe(Effect.asVoid, named("restart backfill"))

  /**
   * Claims an incomplete backfill: free, or running past its lease, or owned by a process of
   * this host that is gone (a crash). Returns whether this process now owns it.
   */
  const claim = (leaseMs: number) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const current = yield* read
      const takeOver = current.status === "running" && current.owner !== null && !ownerAlive(current.owner)
      const claimed = yield* sql`UPDATE backfill_state SET status = 'running', updated_at_ms = ${now}, owner = ${OWNER}
        WHERE ${row} AND status != 'complete'
          AND (status != 'running' OR updated_at_ms <= ${now - leaseMs}
               OR (${takeOver ? 1 : 0} = 1 AND owner = ${current.owner}))
        RETURNING last_watermark`.pipe(named("claim backfill"))
      return claimed.length > 0
    })

  const checkpoint = (watermark: string) =>
    Effect.flatMap(
      Clock.currentTimeMillis,
      (at) =>
        sql`UPDATE backfill_state SET status = 'running', last_watermark = ${watermark}, updated_at_ms = ${at}
          WHERE ${row}`
    ).pipe(Effect.asVoid, named("checkpoint backfill"))

  /** A run stopped on purpose gives its claim back; the watermark keeps its progress. */
  const finish = (outcome: { readonly stopped: boolean; readonly watermark: string | null }) =>
    Effect.flatMap(
      Clock.currentTimeMillis,
      (at) =>
        sql`UPDATE backfill_state SET status = ${outcome.stopped ? "pending" : "complete"}, owner = NULL,
            updated_at_ms = ${at}, last_success_at_ms = ${outcome.stopped ? null : at},
            last_watermark = COALESCE(${outcome.watermark}, last_watermark)
          WHERE ${row}`
    ).pipe(Effect.asVoid, named("finish backfill"))

  /** Gives back a claim this process holds (its run failed). */
  const release = sql`UPDATE backfill_state SET status = 'pending', owner = NULL WHERE ${row} AND owner = ${OWNER}`
    .pipe(Effect.asVoid, named("release backfill"))

  /** A rebuild is about to replay everything: a complete backfill is no longer complete. */
  const resetForRebuild = sql`UPDATE backfill_state SET status = 'pending', last_watermark = NULL
      WHERE ${row} AND status = 'complete'`.pipe(Effect.asVoid)

  /** A rebuild replayed every file: the backfill is complete up to `watermark`. */
  const completeByRebuild = (watermark: string | null, at: number) =>
    sql`UPDATE backfill_state SET status = 'complete', owner = NULL, last_success_at_ms = ${at},
          updated_at_ms = ${at}, last_watermark = ${watermark} WHERE ${row}`.pipe(Effect.asVoid)

  return { read, restart, claim, checkpoint, finish, release, resetForRebuild, completeByRebuild }
})

/** @since 0.1.0 */
export type BackfillStateStatements = Effect.Effect.Success<typeof make>
