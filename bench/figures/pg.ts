/**
 * PostgreSQL against SQLite in the same run (issue 20): the live append of a 10-item batch,
 * interleaved call for call on an engine of each dialect, and the backfill of one generated
 * home into each. PostgreSQL is `ROLLOUT_STATE_BENCH_PG` (default the local server); a scratch
 * schema is made and dropped. A server that does not answer fails the figure.
 */
import { Context, Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../src/infra/engine/Engine.js"
import { generateHome } from "../../test/fixtures/generateHome.js"
import { type Figure, log, percentile, row, timed } from "../harness.js"

const PG_URL = process.env["ROLLOUT_STATE_BENCH_PG"] ?? "postgres://postgres@127.0.0.1:5432/test"

const user = (message: string): Engine.WritableItem => ({
  type: "event_msg",
  payload: { type: "user_message", message }
})
const agent = (message: string): Engine.WritableItem => ({
  type: "event_msg",
  payload: { type: "agent_message", message }
})
const batchOf = (k: number): Array<Engine.WritableItem> => [
  user(`make step ${k} pass; keep the diff small`),
  ...Array.from({ length: 8 }, (_, i): Engine.WritableItem => ({
    type: "response_item",
    payload: { type: "function_call_output", call_id: `c${k}-${i}`, output: "src/fold.ts:12: ok\n".repeat(20) }
  })),
  agent(`step ${k} passes`)
]

export const figure: Figure = {
  id: "pg",
  run: async (sizes) => {
    const dir = mkdtempSync(join(tmpdir(), "bench-pg-"))
    const schema = `bench_${process.pid}`
    const pgDatabase = `${PG_URL}?schema=${schema}`
    const files = Math.max(200, Math.round(sizes.threads / 10))
    await generateHome({ dir: join(dir, "generated"), files, totalBytes: files * 20_000, seed: sizes.seed })
    const open = (home: string, database: string) =>
      Effect.map(
        Layer.build(Layer.fresh(Engine.layer({ home, database, hostId: "bench", openBackfill: false }))),
        (context) => Context.get(context, Engine.Engine)
      )
    try {
      const result = await Effect.gen(function*() {
        const sqlite = yield* open(join(dir, "live-sqlite"), join(dir, "live.sqlite"))
        const pg = yield* open(join(dir, "live-pg"), pgDatabase)
        const a = yield* sqlite.createThread({ cwd: "/w" })
        const b = yield* pg.createThread({ cwd: "/w" })
        const warmup = Math.min(100, sizes.appends)
        const sqliteMs: Array<number> = []
        const pgMs: Array<number> = []
        for (let k = 0; k < warmup + sizes.appends; k++) {
          const batch = batchOf(k)
          const t0 = performance.now()
          yield* sqlite.append(a.metadata.id, batch)
          const t1 = performance.now()
          yield* pg.append(b.metadata.id, batch)
          const t2 = performance.now()
          if (k >= warmup) {
            sqliteMs.push(t1 - t0)
            pgMs.push(t2 - t1)
          }
        }
        // The same generated home backfilled into each: one's rows as the other's.
        const home = join(dir, "generated")
        const backfillSqlite = yield* open(home, join(dir, "backfill.sqlite"))
        const [sqliteSeconds, sqliteReport] = yield* timed(backfillSqlite.backfill())
        const backfillPg = yield* open(home, `${PG_URL}?schema=${schema}_backfill`)
        const [pgSeconds, pgReport] = yield* timed(backfillPg.backfill())
        if (sqliteReport.upserted !== files || pgReport.upserted !== files) {
          throw new Error(`backfilled ${sqliteReport.upserted} and ${pgReport.upserted} of ${files} files`)
        }
        return { sqliteMs, pgMs, sqliteSeconds, pgSeconds }
      }).pipe(Effect.scoped, Effect.runPromise)
      const [s50, s99, p50, p99] = [
        percentile(result.sqliteMs, 50),
        percentile(result.sqliteMs, 99),
        percentile(result.pgMs, 50),
        percentile(result.pgMs, 99)
      ]
      log(
        `pg: append p50 ${p50.toFixed(3)} / SQLite ${s50.toFixed(3)} ms; backfill of ${files} files ${
          result.pgSeconds.toFixed(2)
        } / ${result.sqliteSeconds.toFixed(2)} s`
      )
      const note = "baseline: the same append on a SQLite engine, interleaved call for call"
      return [
        row({ figure: "pg: append 10 items, p50", value: p50, unit: "ms", baseline: s50, ratio: p50 / s50, note }),
        row({ figure: "pg: append 10 items, p99", value: p99, unit: "ms", baseline: s99, ratio: p99 / s99 }),
        row({
          figure: `pg: backfill ${files} files`,
          value: files / result.pgSeconds,
          unit: "files/s",
          baseline: files / result.sqliteSeconds,
          ratio: result.sqliteSeconds / result.pgSeconds,
          note: "baseline: the same home backfilled into SQLite; ratio: SQLite's time / PostgreSQL's"
        })
      ]
    } finally {
      rmSync(dir, { recursive: true, force: true })
      await Effect.runPromise(Effect.ignore(Effect.scoped(Effect.gen(function*() {
        const { PgDatabase } = yield* Effect.promise(() => import("../../src/pg.js"))
        const db = yield* PgDatabase.open({ url: PG_URL, schema, hostId: "bench" })
        yield* db.sql`DROP SCHEMA IF EXISTS ${db.sql(schema)} CASCADE`
        yield* db.sql`DROP SCHEMA IF EXISTS ${db.sql(`${schema}_backfill`)} CASCADE`
      }))))
    }
  }
}
