/**
 * Operational logs (SPEC §7), in one process:
 * - sustained insert rate through the SQLite logger: N `Effect.log` calls into a file
 *   database, timed until the layer's close has written every line, against raw
 *   better-sqlite3 inserting the same rows in one transaction;
 * - the overhead the logger adds to a tight `Effect.log` loop: the loop's time with the
 *   SQLite logger against the same loop with a no-op logger (`Logger.none` in place of the
 *   default); the writer runs on the same thread, so its batches that interleave with the
 *   loop count as overhead;
 * - the same rows through `LogStore.insert` (chunked multi-row statements), against raw;
 * - the feedback export of a thread (a twentieth of 200,000 rows) under a 64 KiB cap, bounded
 *   in SQL, against reading all of its candidate rows and cutting in JS.
 *
 *   node --import tsx bench/logs.ts [--quick] [--lines N] [--reps N]
 *
 * Prints a table and writes `bench/out/logs.json`.
 */
import Sqlite from "better-sqlite3"
import { Effect, Layer, Logger } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { parseArgs } from "node:util"
import { feedbackLine, joinLines, keepNewestWithin, lineBytes } from "../src/domain/LogLine.js"
import * as LogStore from "../src/infra/stores/LogStore.js"
import * as SqliteLogger from "../src/infra/stores/SqliteLogger.js"
import { type Figure, median, migratedDatabase, type Row, sqlLayer } from "./harness.js"

/** Thread ids are UUIDs (SPEC §12): thread n of the bench. */
const benchThreadId = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

/** What a run measures. */
export interface LogsBenchOptions {
  readonly quick?: boolean
  /** Lines per timed run (default 60,000; quick 20,000). */
  readonly lines?: number
  /** Timed runs per figure, median kept (default 3; quick 1). */
  readonly reps?: number
}

const THREADS = 20
const EXPORT_CAP = 64 * 1024

const scratchFile = (label: string) => join(mkdtempSync(join(tmpdir(), `bench-logs-${label}-`)), "state.sqlite")
const dropFile = (file: string) => rmSync(join(file, ".."), { recursive: true, force: true })

/** A realistic line: a thread annotation most of the time, one field, one span. */
const logLine = (i: number) =>
  Effect.log(`projected rollout file ${i} after folding its new lines`).pipe(
    Effect.annotateLogs(i % 10 === 0 ? { files: i & 7 } : { threadId: benchThreadId(i % THREADS), files: i & 7 }),
    Effect.withLogSpan("project")
  )

const logLoop = (lines: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < lines; i++) yield* logLine(i)
  })

/** The rows the logger writes for `logLine(i)`, as entries (for the store and raw inserts). */
const entries = (lines: number, ts: number): Array<LogStore.LogEntry> =>
  Array.from({ length: lines }, (_, i) => {
    const message = `projected rollout file ${i} after folding its new lines`
    return LogStore.entry({
      ts: ts + Math.floor(i / 1000),
      tsNanos: (i % 1000) * 1_000_000,
      level: "INFO",
      message,
      feedbackLogBody: `${message} project=0ms files=${i & 7}`,
      threadId: i % 10 === 0 ? null : benchThreadId(i % THREADS)
    })
  })

/** Seconds for `lines` logs through the SQLite logger: the loop alone, and until every line is written. */
const viaLogger = async (lines: number): Promise<{ readonly loop: number; readonly written: number }> => {
  const file = scratchFile("logger")
  await migratedDatabase(file)
  let loop = 0
  const started = performance.now()
  await Effect.runPromise(
    Effect.gen(function*() {
      const begun = performance.now()
      yield* logLoop(lines)
      loop = (performance.now() - begun) / 1000
    }).pipe(
      Effect.provide(
        SqliteLogger.layer({ replaceDefault: true, maxTotalBytes: null }).pipe(Layer.provide(sqlLayer(file)))
      )
    )
  )
  const written = (performance.now() - started) / 1000
  const db = new Sqlite(file, { readonly: true })
  const count = (db.prepare("SELECT COUNT(*) AS n FROM logs").get() as { n: number }).n
  db.close()
  dropFile(file)
  if (count !== lines) throw new Error(`the logger wrote ${count} of ${lines} lines`)
  return { loop, written }
}

/** Seconds for the same loop with no logger at all. */
const viaNoop = async (lines: number): Promise<number> => {
  const started = performance.now()
  await Effect.runPromise(logLoop(lines).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, Logger.none))))
  return (performance.now() - started) / 1000
}

/** Seconds for raw better-sqlite3: one prepared single-row insert per row, one transaction. */
const viaRaw = async (rows: ReadonlyArray<LogStore.LogEntry>): Promise<number> => {
  const file = scratchFile("raw")
  await migratedDatabase(file)
  const db = new Sqlite(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  const insert = db.prepare(
    `INSERT INTO logs (ts, ts_nanos, level, target, message, feedback_log_body, thread_id, process_uuid, module_path, file, line, estimated_bytes)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const started = performance.now()
  db.transaction(() => {
    for (const e of rows) {
      insert.run(
        e.ts,
        e.tsNanos,
        e.level,
        e.target,
        e.message,
        e.feedbackLogBody,
        e.threadId,
        e.processUuid,
        e.modulePath,
        e.file,
        e.line,
        lineBytes(e.level, e.feedbackLogBody)
      )
    }
  })()
  const seconds = (performance.now() - started) / 1000
  db.close()
  dropFile(file)
  return seconds
}

/** Seconds for `LogStore.insert` of the rows in batches of the logger's default size (256). */
const viaStore = async (rows: ReadonlyArray<LogStore.LogEntry>): Promise<number> => {
  const file = scratchFile("store")
  await migratedDatabase(file)
  const seconds = await Effect.runPromise(
    Effect.gen(function*() {
      const store = yield* LogStore.make
      const started = performance.now()
      for (let i = 0; i < rows.length; i += 256) yield* store.insert(rows.slice(i, i + 256))
      return (performance.now() - started) / 1000
    }).pipe(Effect.provide(sqlLayer(file)))
  )
  dropFile(file)
  return seconds
}

/** Milliseconds for one feedback export from a table of `rows`, and for the unbounded read it replaces. */
const exportTimes = async (rows: ReadonlyArray<LogStore.LogEntry>, reps: number) => {
  const file = scratchFile("export")
  const result = await Effect.runPromise(
    Effect.gen(function*() {
      const store = yield* LogStore.make
      yield* store.insert(rows)
      const bounded: Array<number> = []
      const unbounded: Array<number> = []
      // Untimed first pass: the page cache starts as warm for both.
      let a = yield* store.feedbackExport({ threadId: benchThreadId(1), maxBytes: EXPORT_CAP })
      let b = naiveExport(file, benchThreadId(1), EXPORT_CAP)
      for (let rep = 0; rep < Math.max(3, reps); rep++) {
        let started = performance.now()
        a = yield* store.feedbackExport({ threadId: benchThreadId(1), maxBytes: EXPORT_CAP })
        bounded.push(performance.now() - started)
        started = performance.now()
        b = naiveExport(file, benchThreadId(1), EXPORT_CAP)
        unbounded.push(performance.now() - started)
      }
      if (a !== b) throw new Error("the bounded and unbounded exports differ")
      return { bounded: median(bounded), unbounded: median(unbounded) }
    }).pipe(Effect.provide(sqlLayer(file)))
  )
  dropFile(file)
  return result
}

/** Every candidate row of the thread read into JS, rendered and cut there. */
const naiveExport = (file: string, threadId: string, maxBytes: number): string => {
  const db = new Sqlite(file, { readonly: true })
  const rows = db.prepare(`SELECT ts, ts_nanos, level, feedback_log_body FROM logs
    WHERE thread_id = ? OR (thread_id IS NULL AND process_uuid IN (SELECT process_uuid FROM logs WHERE thread_id = ?))
    ORDER BY ts DESC, ts_nanos DESC, id DESC`).all(threadId, threadId) as Array<
    { ts: number; ts_nanos: number; level: string; feedback_log_body: string }
  >
  db.close()
  return joinLines(
    keepNewestWithin(
      rows.map((r) => feedbackLine({ ts: r.ts, tsNanos: r.ts_nanos, level: r.level, body: r.feedback_log_body })),
      maxBytes
    )
  )
}

/**
 * Runs every figure and returns the rows of the table.
 */
export const runLogsBench = async (options: LogsBenchOptions = {}): Promise<ReadonlyArray<Row>> => {
  const quick = options.quick ?? false
  const lines = options.lines ?? (quick ? 20_000 : 60_000)
  const reps = options.reps ?? (quick ? 1 : 3)
  const rows = entries(lines, 1_750_000_000)
  // Warm-up: JIT and the statement cache, on a small run.
  await viaLogger(Math.min(lines, 5000))
  await viaNoop(Math.min(lines, 5000))
  const logger: Array<{ loop: number; written: number }> = []
  const noop: Array<number> = []
  const raw: Array<number> = []
  const store: Array<number> = []
  for (let rep = 0; rep < reps; rep++) {
    logger.push(await viaLogger(lines))
    noop.push(await viaNoop(lines))
    raw.push(await viaRaw(rows))
    store.push(await viaStore(rows))
  }
  const written = median(logger.map((t) => t.written))
  const loop = median(logger.map((t) => t.loop))
  const rawSeconds = median(raw)
  const noopSeconds = median(noop)
  const storeSeconds = median(store)
  const exported = await exportTimes(entries(quick ? 50_000 : 200_000, 1_750_000_000), reps)
  const rate = (seconds: number) => lines / seconds
  return [
    {
      figure: "logger insert rate (Effect.log to rows written)",
      value: rate(written),
      unit: "rows/s",
      baseline: rate(rawSeconds),
      ratio: rate(written) / rate(rawSeconds)
    },
    {
      figure: "Effect.log loop with SQLite logger vs no-op",
      value: loop * 1e6 / lines,
      unit: "µs/call",
      baseline: noopSeconds * 1e6 / lines,
      ratio: loop / noopSeconds
    },
    {
      figure: "LogStore.insert, batches of 256",
      value: rate(storeSeconds),
      unit: "rows/s",
      baseline: rate(rawSeconds),
      ratio: rate(storeSeconds) / rate(rawSeconds)
    },
    {
      figure: "feedback export, 64 KiB cap",
      value: exported.bounded,
      unit: "ms",
      baseline: exported.unbounded,
      ratio: exported.bounded / exported.unbounded
    }
  ]
}

/** The figure for the bench runner (`bench/run.ts`). */
export const figure: Figure = {
  id: "logs",
  run: (sizes) => runLogsBench({ quick: sizes.quick })
}

const fmt = (x: number | null): string =>
  x === null ? "-" : Math.abs(x) >= 1000 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3)

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, lines: { type: "string" }, reps: { type: "string" } }
  })
  const started = performance.now()
  const result = await runLogsBench({
    quick: values.quick,
    ...(values.lines === undefined ? {} : { lines: Number(values.lines) }),
    ...(values.reps === undefined ? {} : { reps: Number(values.reps) })
  })
  const table = [
    ["figure", "value", "unit", "baseline", "ratio"],
    ...result.map((r) => [r.figure, fmt(r.value), r.unit, fmt(r.baseline), fmt(r.ratio)])
  ]
  const widths = table[0]!.map((_, c) => Math.max(...table.map((line) => line[c]!.length)))
  for (const line of table) {
    console.log(
      line.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")
    )
  }
  console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`)
  const out = fileURLToPath(new URL("./out/", import.meta.url))
  mkdirSync(out, { recursive: true })
  writeFileSync(
    join(out, "logs.json"),
    `${
      JSON.stringify(
        result.map(({ figure, value, unit, baseline, ratio }) => ({ figure, value, unit, baseline, ratio })),
        null,
        2
      )
    }\n`
  )
}
