/**
 * PostgreSQL against SQLite (issue 20), each pair measured in the same run, alternating:
 * - projection write: `writeProjections` for N new threads in backfill-sized transactions;
 * - live append: `engine.append` of a 10-item batch, p50 and p99;
 * - a thread list page (50, `created_at` desc, random cursors) over the same 1M rows;
 * - two hosts backfilling 1,000 files each at once: into one PostgreSQL schema, against the
 *   same two backfills into a SQLite file each (what the hosts do without a shared database).
 * PostgreSQL is `ROLLOUT_STATE_TEST_PG` (default the local server); a figure that cannot reach
 * it crashes, so the run says so.
 */
import Sqlite from "better-sqlite3"
import { Context, Effect, Layer } from "effect"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { encodeCursor } from "../../src/domain/PageCursor.js"
import * as Engine from "../../src/infra/engine/Engine.js"
import * as PgDatabase from "../../src/infra/pg/PgDatabase.js"
import type { SqlDatabase } from "../../src/infra/sql/SqlDatabase.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { writeProjections } from "../../src/projections/ProjectionWriter.js"
import { chunksOf } from "../../src/projections/Statements.js"
import type { ThreadDelta } from "../../src/projections/ThreadDelta.js"
import { THREAD_COLUMNS } from "../../src/projections/ThreadsProjection.js"
import {
  alternate,
  cached,
  type Figure,
  log,
  median,
  migratedDatabase,
  percentile,
  type Row,
  row,
  threadsHome
} from "../harness.js"
import { batchOf } from "./append.js"
import { fillDatabase, rng } from "./list.js"
import { buildDeltas } from "./projection.js"

const PG_URL = process.env["ROLLOUT_STATE_TEST_PG"] ?? "postgres://postgres@127.0.0.1:5432/test"
/** Threads per projection transaction: the backfill's batch. */
const BATCH = 200
const PAGE = 50

const freshSchema = (name: string) => `bench_${name}_${process.pid}_${Math.floor(Math.random() * 1e9)}`

/** A migrated pg database in `schema`, for the scope. */
const openPg = (schema: string, hostId: string) =>
  Effect.tap(PgDatabase.open({ url: PG_URL, schema, hostId }), PgDatabase.migrate)

const dropSchema = (schema: string) =>
  Effect.scoped(Effect.flatMap(
    PgDatabase.open({ url: PG_URL, schema, hostId: "bench", maxConnections: 1 }),
    (db) => db.sql`DROP SCHEMA IF EXISTS ${db.sql(schema)} CASCADE`
  )).pipe(Effect.orDie)

/** Seconds the engine's projection write of `deltas` takes, a transaction per batch. */
const writeAll = (database: SqlDatabase, deltas: ReadonlyArray<ThreadDelta>) =>
  Effect.gen(function*() {
    const started = performance.now()
    for (const chunk of chunksOf(deltas, BATCH)) {
      yield* database.transact(writeProjections(chunk.map((delta) => ({ delta, expected: undefined }))))
    }
    return (performance.now() - started) / 1000
  })

const projectionRows = async (n: number, seed: number, reps: number): Promise<Array<Row>> => {
  const deltas = await buildDeltas(n, seed)
  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-projection-"))
  let rep = 0
  const sqlite = async () => {
    const file = join(dir, `state-${rep++}.sqlite`)
    await migratedDatabase(file)
    return Effect.runPromise(Effect.scoped(Effect.flatMap(Database.open({ file }), (db) => writeAll(db, deltas))))
  }
  const pg = () => {
    const schema = freshSchema("projection")
    return Effect.runPromise(
      Effect.scoped(Effect.flatMap(openPg(schema, "bench-host"), (db) => writeAll(db, deltas))).pipe(
        Effect.ensuring(dropSchema(schema))
      )
    )
  }
  const times = await alternate(reps, pg, sqlite)
  rmSync(dir, { recursive: true, force: true })
  const [pgS, sqliteS] = [median(times.a), median(times.b)]
  log(`fleet: projection write of ${n} threads: pg ${pgS.toFixed(2)} s, SQLite ${sqliteS.toFixed(2)} s`)
  return [row({
    figure: `pg projection write, ${n} threads`,
    value: pgS,
    unit: "s",
    baseline: sqliteS,
    ratio: pgS / sqliteS,
    note: `writeProjections in transactions of ${BATCH} threads; baseline: the same on SQLite`
  })]
}

const appendRows = async (appends: number): Promise<Array<Row>> => {
  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-append-"))
  const schema = freshSchema("append")
  const warmup = Math.min(100, appends)
  const total = warmup + appends
  const startMs = Date.UTC(2026, 1, 1)
  const batches = Array.from({ length: total }, (_, k) => batchOf(k, startMs))
  const times = await Effect.gen(function*() {
    const open = (home: string, database: string) =>
      Effect.map(
        Layer.build(Layer.fresh(Engine.layer({ home, database, hostId: "bench-host", openBackfill: false }))),
        (context) => Context.get(context, Engine.Engine)
      )
    const onPg = yield* open(join(dir, "pg-home"), `${PG_URL}?schema=${schema}`)
    const onSqlite = yield* open(join(dir, "sqlite-home"), join(dir, "state.sqlite"))
    const meta = { cwd: "/home/dev/src/app", source: "cli", model_provider: "openai" } as const
    const pgThread = (yield* onPg.createThread(meta)).metadata.id
    const sqliteThread = (yield* onSqlite.createThread(meta)).metadata.id
    const pgMs: Array<number> = []
    const sqliteMs: Array<number> = []
    for (let k = 0; k < total; k++) {
      // Whichever goes second finds the machine as the first left it: take turns.
      for (const side of k % 2 === 0 ? ["pg", "sqlite"] : ["sqlite", "pg"]) {
        const started = performance.now()
        if (side === "pg") yield* onPg.append(pgThread, batches[k]!)
        else yield* onSqlite.append(sqliteThread, batches[k]!)
        if (k >= warmup) (side === "pg" ? pgMs : sqliteMs).push(performance.now() - started)
      }
    }
    return { pgMs, sqliteMs }
  }).pipe(Effect.scoped, Effect.ensuring(dropSchema(schema)), Effect.runPromise)
  rmSync(dir, { recursive: true, force: true })
  const out: Array<Row> = []
  for (const p of [50, 99]) {
    const [pg, sqlite] = [percentile(times.pgMs, p), percentile(times.sqliteMs, p)]
    log(`fleet: append p${p}: pg ${pg.toFixed(3)} ms, SQLite ${sqlite.toFixed(3)} ms`)
    out.push(row({
      figure: `pg append (10 items), p${p}`,
      value: pg,
      unit: "ms",
      baseline: sqlite,
      ratio: pg / sqlite,
      note: "engine.append, a thread of its own per database, taking turns; baseline: SQLite"
    }))
  }
  return out
}

/** The list figure's rows (`list.ts`), copied into a schema of their own, kept for the next run. */
const listSchema = async (n: number, seed: number, sqliteFile: string): Promise<string> => {
  const schema = `bench_list_v3_${n}_s${seed}`
  await Effect.gen(function*() {
    const db = yield* openPg(schema, "bench-filler")
    const counted = yield* db.sql<{ count: number }>`SELECT count(*)::int AS count FROM threads`
    if (counted[0]?.count === n) return
    const started = performance.now()
    yield* db.sql`DELETE FROM threads`
    const raw = new Sqlite(sqliteFile, { readonly: true })
    const select = raw.prepare(`SELECT ${THREAD_COLUMNS.join(", ")} FROM threads`).raw()
    // A statement's parameters are capped at 65,535.
    const rowsPerInsert = Math.floor(60_000 / THREAD_COLUMNS.length)
    let chunk: Array<ReadonlyArray<unknown>> = []
    const flush = () => {
      const rows = chunk
      chunk = []
      if (rows.length === 0) return Effect.void
      const one = `(${THREAD_COLUMNS.map(() => "?").join(", ")})`
      const text = `INSERT INTO threads (${THREAD_COLUMNS.join(", ")}) VALUES ${rows.map(() => one).join(", ")}`
      let i = 0
      return db.sql.unsafe(text.replace(/\?/g, () => `$${++i}`), rows.flat()).pipe(Effect.asVoid)
    }
    for (const values of select.iterate() as Iterable<ReadonlyArray<unknown>>) {
      chunk.push(values)
      if (chunk.length === rowsPerInsert) yield* flush()
    }
    yield* flush()
    raw.close()
    yield* db.sql`ANALYZE threads`
    log(`fleet: copied ${n} threads into PostgreSQL in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }).pipe(Effect.scoped, Effect.runPromise)
  return schema
}

const listRows = async (n: number, seed: number, quick: boolean): Promise<Array<Row>> => {
  const file = await cached(`list-v3-${n}-s${seed}.sqlite`, (path) => fillDatabase(path, n, seed))
  const schema = await listSchema(n, seed, file)
  const raw = new Sqlite(file, { readonly: true })
  const positions = raw.prepare("SELECT created_at_ms AS sortMs, id FROM threads WHERE archived = 0").all() as Array<
    { sortMs: number; id: string }
  >
  raw.close()
  const home = mkdtempSync(join(tmpdir(), "bench-fleet-list-"))
  const calls = quick ? 300 : 2000
  const times = await Effect.gen(function*() {
    const open = (layer: Layer.Layer<Engine.Engine, unknown>) =>
      Effect.map(Layer.build(Layer.fresh(layer)), (context) => Context.get(context, Engine.Engine))
    const onSqlite = yield* open(Engine.layer({ home, database: file, readonly: true }))
    // Another host than the rows': opening catches up its own threads only, and there are none.
    const onPg = yield* open(
      Engine.layer({ home, database: `${PG_URL}?schema=${schema}`, hostId: "bench-reader", openBackfill: false })
    )
    const random = rng(seed)
    const pgMs: Array<number> = []
    const sqliteMs: Array<number> = []
    const warmup = Math.min(100, calls)
    for (let i = 0; i < warmup + calls; i++) {
      const at = i % 10 === 0 ? undefined : positions[Math.floor(random() * positions.length)]
      const query = {
        sortKey: "created_at" as const,
        limit: PAGE,
        ...(at === undefined ? {} : { cursor: encodeCursor("created_at", at) })
      }
      const counts: Array<number> = []
      for (const side of i % 2 === 0 ? ["pg", "sqlite"] : ["sqlite", "pg"]) {
        const started = performance.now()
        const page = yield* (side === "pg" ? onPg : onSqlite).listThreads(query)
        if (i >= warmup) (side === "pg" ? pgMs : sqliteMs).push(performance.now() - started)
        counts.push(page.items.length)
      }
      if (counts[0] !== counts[1]) throw new Error(`list page: ${counts[0]} rows against ${counts[1]}`)
    }
    return { pgMs, sqliteMs }
  }).pipe(Effect.scoped, Effect.runPromise)
  rmSync(home, { recursive: true, force: true })
  const label = n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`
  return [50, 99].map((p) => {
    const [pg, sqlite] = [percentile(times.pgMs, p), percentile(times.sqliteMs, p)]
    log(`fleet: list ${label} page p${p}: pg ${pg.toFixed(3)} ms, SQLite ${sqlite.toFixed(3)} ms`)
    return row({
      figure: `pg list ${label}, page of ${PAGE}, p${p}`,
      value: pg,
      unit: "ms",
      baseline: sqlite,
      ratio: pg / sqlite,
      note: "engine.listThreads at random cursors over the same rows; baseline: SQLite"
    })
  })
}

/** Wall seconds of two engines backfilling their homes at once; checks every file was projected. */
const twoBackfills = (
  layers: readonly [Layer.Layer<Engine.Engine, unknown>, Layer.Layer<Engine.Engine, unknown>],
  files: number
) =>
  Effect.gen(function*() {
    const engines = yield* Effect.forEach(
      layers,
      (layer) => Effect.map(Layer.build(Layer.fresh(layer)), (context) => Context.get(context, Engine.Engine))
    )
    const started = performance.now()
    const reports = yield* Effect.all(engines.map((engine) => engine.backfill()), { concurrency: "unbounded" })
    const wall = (performance.now() - started) / 1000
    for (const report of reports) {
      if (report.upserted !== files) throw new Error(`a host backfilled ${report.upserted} of ${files} files`)
    }
    return wall
  }).pipe(Effect.scoped, Effect.runPromise)

const backfillRows = async (files: number, seed: number, reps: number): Promise<Array<Row>> => {
  const homes = [await threadsHome(files, seed), await threadsHome(files, seed + 1)] as const
  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-backfill-"))
  let rep = 0
  const options = { openBackfill: false, batchSize: BATCH } as const
  const sqlite = () => {
    const at = join(dir, String(rep++))
    mkdirSync(at)
    return twoBackfills([
      Engine.layer({ ...options, home: homes[0], database: join(at, "a.sqlite") }),
      Engine.layer({ ...options, home: homes[1], database: join(at, "b.sqlite") })
    ], files)
  }
  const pg = () => {
    const schema = freshSchema("backfill")
    const database = `${PG_URL}?schema=${schema}`
    return twoBackfills([
      Engine.layer({ ...options, home: homes[0], database, hostId: "host-a" }),
      Engine.layer({ ...options, home: homes[1], database, hostId: "host-b" })
    ], files).finally(() => Effect.runPromise(dropSchema(schema)))
  }
  const times = await alternate(reps, pg, sqlite)
  rmSync(dir, { recursive: true, force: true })
  const [pgS, sqliteS] = [median(times.a), median(times.b)]
  log(`fleet: two hosts backfilling ${files} files each: pg ${pgS.toFixed(2)} s, SQLite ${sqliteS.toFixed(2)} s`)
  return [row({
    figure: `pg two hosts backfilling ${files} files each at once`,
    value: pgS,
    unit: "s",
    baseline: sqliteS,
    ratio: pgS / sqliteS,
    note: "one process, one shared schema; baseline: the same two backfills into a SQLite file each"
  })]
}

export const figure: Figure = {
  id: "fleet",
  run: async (sizes) => {
    const largestList = Math.max(...sizes.listThreads)
    return [
      ...(await projectionRows(sizes.projectionThreads, sizes.seed, sizes.reps)),
      ...(await appendRows(sizes.quick ? 200 : 1000)),
      ...(await listRows(largestList, sizes.seed, sizes.quick)),
      ...(await backfillRows(sizes.quick ? 100 : 1000, sizes.seed, sizes.reps))
    ]
  }
}
