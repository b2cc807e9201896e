import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Schema } from "effect"
import { mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { feedbackLine, joinLines, lineBytes, LOG_LEVELS, type LogLevelName } from "../../../src/domain/LogLine.js"
import * as Engine from "../../../src/infra/engine/Engine.js"
import type { SqlDatabase } from "../../../src/infra/sql/SqlDatabase.js"
import * as Database from "../../../src/infra/sqlite/Database.js"
import * as LogStore from "../../../src/infra/stores/LogStore.js"
import { runs } from "../../fixtures/arbitraries.js"
import { type DialectFixture, dialects, sqlite } from "../../fixtures/dialects.js"
import { threadIdOf as tid } from "../../fixtures/threadIds.js"

const storeOn = (layer: DialectFixture["layer"]) =>
<A, E>(
  use: (store: LogStore.LogStore, sql: SqlClient.SqlClient) => Effect.Effect<A, E, SqlDatabase>
) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* use(yield* LogStore.make, sql)
  }).pipe(Effect.provide(layer()))

const allRecords = (sql: SqlClient.SqlClient) =>
  Effect.flatMap(sql`SELECT * FROM logs ORDER BY id`, Schema.decodeUnknown(Schema.Array(LogStore.LogRecordFromRow)))

const THREADS = [null, tid("t1"), tid("t2"), tid("t3")] as const
const PROCESSES = ["pid:1:a", "pid:2:b", "pid:3:c"] as const
const T0 = 1_700_000_000

/** Random lines: few distinct times (ties), threads and processes; bodies numbered so a line names its row. */
const entriesArb = fc.array(
  fc.record({
    ts: fc.integer({ min: T0, max: T0 + 20 }),
    tsNanos: fc.constantFrom(0, 1, 500_000_000, 999_999_999),
    level: fc.constantFrom(...LOG_LEVELS),
    message: fc.string({ unit: fc.constantFrom("a", "b", "A", "é", " "), maxLength: 6 }),
    pad: fc.string({ unit: fc.constantFrom("x", "é", "漢", "😀"), maxLength: 40 }),
    threadId: fc.constantFrom(...THREADS),
    processUuid: fc.constantFrom(...PROCESSES)
  }),
  { maxLength: 60 }
).map((rows) =>
  rows.map((r, i) =>
    LogStore.entry({
      ts: r.ts,
      tsNanos: r.tsNanos,
      level: r.level,
      message: r.message,
      feedbackLogBody: `#${i} ${r.message} ${r.pad}`,
      threadId: r.threadId,
      processUuid: r.processUuid
    })
  )
)

const nanosOf = (r: { readonly ts: number; readonly tsNanos: number }) =>
  BigInt(r.ts) * 1_000_000_000n + BigInt(r.tsNanos)
const newestFirst = (a: LogStore.LogRecord, b: LogStore.LogRecord) => {
  const d = nanosOf(b) - nanosOf(a)
  return d !== 0n ? (d > 0n ? 1 : -1) : b.id - a.id
}

/** The naive reading of a query: filter everything in memory. */
const naiveQuery = (records: ReadonlyArray<LogStore.LogRecord>, q: LogStore.LogQuery) => {
  const matching = records.filter((r) =>
    (q.level === undefined || LOG_LEVELS.indexOf(r.level) >= LOG_LEVELS.indexOf(q.level)) &&
    (q.from === undefined || nanosOf(r) >= BigInt(q.from) * 1_000_000n) &&
    (q.to === undefined || nanosOf(r) < BigInt(q.to) * 1_000_000n) &&
    (q.threadId === undefined || r.threadId === q.threadId) &&
    (q.processUuid === undefined || r.processUuid === q.processUuid) &&
    (q.search === undefined || r.message.includes(q.search)) &&
    (q.afterId === undefined || r.id > q.afterId)
  )
  const ordered = q.afterId === undefined ? [...matching].sort(newestFirst) : [...matching].sort((a, b) => a.id - b.id)
  return ordered.slice(0, q.limit ?? 100)
}

/** The naive export: candidates newest first, lines kept while they fit. */
const naiveExport = (records: ReadonlyArray<LogStore.LogRecord>, threadId: string, maxBytes: number) => {
  const processes = new Set(records.filter((r) => r.threadId === threadId).map((r) => r.processUuid))
  const candidates = records.filter((r) =>
    r.threadId === threadId || (r.threadId === null && processes.has(r.processUuid))
  ).sort(newestFirst)
  const kept: Array<string> = []
  let total = 0
  for (const r of candidates) {
    const line = feedbackLine({ ts: r.ts, tsNanos: r.tsNanos, level: r.level, body: r.feedbackLogBody })
    total += Buffer.byteLength(line)
    if (total > maxBytes) break
    kept.push(line)
  }
  return joinLines(kept.reverse())
}

const optional = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined })
const queryArb = fc.record({
  level: optional(fc.constantFrom(...LOG_LEVELS)),
  from: optional(fc.integer({ min: T0 * 1000 - 1000, max: T0 * 1000 + 21_000 })),
  to: optional(fc.integer({ min: T0 * 1000 - 1000, max: T0 * 1000 + 21_000 })),
  threadId: optional(fc.constantFrom(tid("t1"), tid("t2"), tid("t3"), tid("none"))),
  processUuid: optional(fc.constantFrom(...PROCESSES)),
  search: optional(fc.string({ unit: fc.constantFrom("a", "b", "A", "é", " "), maxLength: 2 })),
  limit: optional(fc.integer({ min: 1, max: 30 })),
  afterIdOffset: optional(fc.integer({ min: -1, max: 62 }))
})

const runProperty = <T>(arb: fc.Arbitrary<T>, numRuns: number, body: (value: T) => Effect.Effect<void, unknown>) =>
  Effect.promise(() =>
    fc.assert(fc.asyncProperty(arb, (value) => Effect.runPromise(body(value))), { numRuns: runs(numRuns) })
  )

describe.each(dialects)("LogStore on $dialect", ({ layer }) => {
  const withStore = storeOn(layer)
  it.effect("stores lines in chunked multi-row inserts and reads them back with their estimated bytes", () =>
    withStore((store, sql) =>
      Effect.gen(function*() {
        const entries = Array.from({ length: LogStore.INSERT_CHUNK * 2 + 7 }, (_, i) =>
          LogStore.entry({
            ts: T0 + i,
            tsNanos: i,
            level: "INFO",
            message: `line ${i}`,
            feedbackLogBody: `line ${i} n=${i} ü`,
            threadId: i % 2 === 0 ? tid("t1") : null,
            line: i,
            file: "a.ts",
            modulePath: "mod",
            target: "tgt"
          }))
        yield* store.insert(entries)
        const records = yield* allRecords(sql)
        expect(records.length).toBe(entries.length)
        expect(records.map(({ estimatedBytes: _bytes, id: _id, ...rest }) => rest)).toEqual(entries)
        expect(records.every((r) => r.estimatedBytes === lineBytes(r.level, r.feedbackLogBody))).toBe(true)
        expect(yield* store.lastId).toBe(records[records.length - 1]!.id)
      })
    ))

  it.effect("a level filter is a threshold over levels stored in any case: WARN selects warn, WARN and ERROR", () =>
    withStore((store, sql) =>
      Effect.gen(function*() {
        for (const [i, level] of ["info", "warn", "WARN", "Error", "debug"].entries()) {
          yield* sql`INSERT INTO logs (ts, ts_nanos, level, target, message, feedback_log_body, process_uuid, estimated_bytes)
            VALUES (${T0 + i}, 0, ${level}, 't', ${`m${i}`}, ${`m${i}`}, 'p', 40)`
        }
        const warned = yield* store.query({ level: "WARN" })
        expect(warned.map((r) => [r.message, r.level])).toEqual([["m3", "ERROR"], ["m2", "WARN"], ["m1", "WARN"]])
        expect((yield* store.query({ level: "ERROR" })).map((r) => r.message)).toEqual(["m3"])
        expect((yield* store.query({ level: "TRACE" })).length).toBe(5)
      })
    ))

  it.effect("refuses a timestamp that does not render in four year digits, and a limit out of range, writing nothing", () =>
    withStore((store, sql) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(store.insert([
          LogStore.entry({ ts: T0, tsNanos: 0, level: "INFO", message: "fine" }),
          LogStore.entry({ ts: 300_000_000_000, tsNanos: 0, level: "INFO", message: "far" })
        ]))
        expect(error).toMatchObject({ _tag: "InvalidInput", what: "logs: insert" })
        expect(yield* allRecords(sql)).toEqual([])
        expect((yield* Effect.flip(store.query({ limit: 0 })))._tag).toBe("InvalidInput")
        expect((yield* Effect.flip(store.feedbackExport({ threadId: tid("t"), maxBytes: -1 })))._tag).toBe(
          "InvalidInput"
        )
        expect(yield* store.lastId).toBe(0)
      })
    ))

  it.live("property: query filters (level and more severe, time range, thread, process, case-sensitive message substring, afterId) agree with a naive in-memory filter", () =>
    withStore((store, sql) =>
      runProperty(
        fc.tuple(entriesArb, fc.array(queryArb, { minLength: 1, maxLength: 6 })),
        60,
        ([entries, queries]) =>
          Effect.gen(function*() {
            yield* sql`DELETE FROM logs`
            yield* store.insert(entries)
            const records = yield* allRecords(sql)
            for (const { afterIdOffset, ...rest } of queries) {
              const q: LogStore.LogQuery = {
                ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
                ...(afterIdOffset === undefined ? {} : { afterId: (records[0]?.id ?? 1) + afterIdOffset })
              }
              expect(yield* store.query(q)).toEqual(naiveQuery(records, q))
            }
          })
      )
    ))

  it.live("property: the feedback export never exceeds the cap, never cuts a line, keeps the newest, includes threadless rows of the thread's processes and no other process's", () =>
    withStore((store, sql) =>
      runProperty(
        fc.tuple(entriesArb, fc.constantFrom(tid("t1"), tid("t2"), tid("t3")), fc.integer({ min: 0, max: 3000 })),
        100,
        ([entries, threadId, maxBytes]) =>
          Effect.gen(function*() {
            yield* sql`DELETE FROM logs`
            yield* store.insert(entries)
            const records = yield* allRecords(sql)
            const text = yield* store.feedbackExport({ threadId, maxBytes })
            expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxBytes)
            expect(text).toBe(naiveExport(records, threadId, maxBytes))
            const processes = new Set(records.filter((r) => r.threadId === threadId).map((r) => r.processUuid))
            for (const line of text.split(/(?<=\n)/).filter((l) => l !== "")) {
              const id = Number(/ #(\d+) /.exec(line)![1])
              const entry = entries[id]!
              expect(entry.threadId === threadId || (entry.threadId === null && processes.has(entry.processUuid))).toBe(
                true
              )
              expect(line).toBe(
                feedbackLine({ ts: entry.ts, tsNanos: entry.tsNanos, level: entry.level, body: entry.feedbackLogBody })
              )
            }
          })
      )
    ))

  it.effect("the export of a thread with no rows is empty, and includes threadless lines of every process that wrote for the thread", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const line = (
          ts: number,
          message: string,
          threadId: string | null,
          processUuid: string,
          level: LogLevelName = "INFO"
        ) => LogStore.entry({ ts, tsNanos: 0, level, message, threadId, processUuid })
        yield* store.insert([
          line(T0, "p1 start", null, "p1"),
          line(T0 + 1, "p1 turn", tid("t"), "p1"),
          line(T0 + 2, "p2 start", null, "p2"),
          line(T0 + 3, "p3 noise", null, "p3"),
          line(T0 + 4, "p2 turn", tid("t"), "p2", "ERROR"),
          line(T0 + 5, "other thread", "u", "p3")
        ])
        expect(yield* store.feedbackExport({ threadId: tid("none"), maxBytes: 10_000 })).toBe("")
        expect(yield* store.feedbackExport({ threadId: tid("t"), maxBytes: 10_000 })).toBe([
          "2023-11-14T22:13:20.000000Z  INFO p1 start",
          "2023-11-14T22:13:21.000000Z  INFO p1 turn",
          "2023-11-14T22:13:22.000000Z  INFO p2 start",
          "2023-11-14T22:13:24.000000Z ERROR p2 turn",
          ""
        ].join("\n"))
        const newestTwo = "2023-11-14T22:13:22.000000Z  INFO p2 start\n2023-11-14T22:13:24.000000Z ERROR p2 turn\n"
        const size = Buffer.byteLength(newestTwo)
        expect(yield* store.feedbackExport({ threadId: tid("t"), maxBytes: size })).toBe(newestTwo)
        expect(yield* store.feedbackExport({ threadId: tid("t"), maxBytes: size - 1 })).toBe(
          "2023-11-14T22:13:24.000000Z ERROR p2 turn\n"
        )
      })
    ))

  it.live("property: retention deletes the oldest rows and keeps the newest that fit the budget", () =>
    withStore((store, sql) =>
      runProperty(
        fc.tuple(entriesArb, fc.integer({ min: 0, max: 4000 })),
        60,
        ([entries, budget]) =>
          Effect.gen(function*() {
            yield* sql`DELETE FROM logs`
            yield* store.insert(entries)
            const before = [...(yield* allRecords(sql))].sort(newestFirst)
            const deleted = yield* store.prune({ maxTotalBytes: budget })
            const after = [...(yield* allRecords(sql))].sort(newestFirst)
            const total = after.reduce((sum, r) => sum + r.estimatedBytes, 0)
            expect(total).toBeLessThanOrEqual(budget)
            expect(deleted).toBe(before.length - after.length)
            // The kept rows are the newest, with no gap, and the next newest would not fit.
            expect(after).toEqual(before.slice(0, after.length))
            const next = before[after.length]
            if (next !== undefined) expect(total + next.estimatedBytes).toBeGreaterThan(budget)
          })
      )
    ))
})

describe("LogStore on SQLite", () => {
  const withStore = storeOn(sqlite.layer)
  it.effect("retention deletes the oldest rows and gives their space back: the database file shrinks", () =>
    withStore((store, sql) =>
      Effect.gen(function*() {
        const file = (yield* Database.Database).file
        const sizeAfterCheckpoint = Effect.map(sql`PRAGMA wal_checkpoint(TRUNCATE)`, () => statSync(file).size)
        const body = "x".repeat(2000)
        for (let chunk = 0; chunk < 5; chunk++) {
          yield* store.insert(Array.from({ length: 400 }, (_, i) =>
            LogStore.entry({
              ts: T0 + chunk * 400 + i,
              tsNanos: 0,
              level: "INFO",
              message: "m",
              feedbackLogBody: body
            })))
        }
        const full = yield* sizeAfterCheckpoint
        expect(full).toBeGreaterThan(4_000_000)
        const deleted = yield* store.prune({ maxTotalBytes: 10 * lineBytes("INFO", body) })
        expect(deleted).toBe(1990)
        const pruned = yield* sizeAfterCheckpoint
        expect(pruned).toBeLessThan(full / 10)
        expect((yield* store.query({ limit: 100 })).length).toBe(10)
      })
    ))

  it.effect("the export and retention are served by the logs indexes, never a scan of the table or a sort of it", () =>
    withStore((_store, sql) =>
      Effect.gen(function*() {
        const plan = (text: string, params: ReadonlyArray<unknown>) =>
          Effect.map(sql.unsafe<{ readonly detail: string }>(`EXPLAIN QUERY PLAN ${text}`, params), (rows) =>
            rows.map((r) => r.detail))
        const exportPlan = yield* plan(LogStore.FEEDBACK_EXPORT_SQL, [tid("t"), tid("t"), 100, 100, 4000])
        expect(exportPlan).toContainEqual(
          expect.stringMatching(/^SEARCH logs USING INDEX logs_thread_time \(thread_id=\?\)$/)
        )
        expect(exportPlan).toContainEqual(
          expect.stringMatching(/^SEARCH logs USING INDEX logs_process_threadless_time \(process_uuid=\?\)$/)
        )
        expect(exportPlan.filter((d) =>
          /^SCAN logs\b/.test(d)
        )).toEqual([])
        const prunePlan = yield* plan(LogStore.PRUNE_SQL, [1000])
        expect(prunePlan).toContain("SCAN logs USING INDEX logs_time")
        expect(prunePlan.filter((d) => d.includes("TEMP B-TREE"))).toEqual([])
      })
    ))

  it.live("log lines are operational state: a rebuild of the projections keeps every one", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "logs-rebuild-"))
      const paths = { home: join(dir, "home"), database: join(dir, "state.sqlite") }
      yield* Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const store = yield* LogStore.LogStore
        const created = yield* engine.createThread({ cwd: "/work/app", source: "cli" })
        yield* store.insert([
          LogStore.entry({ ts: T0, tsNanos: 0, level: "INFO", message: "thread line", threadId: created.metadata.id }),
          LogStore.entry({ ts: T0 + 1, tsNanos: 0, level: "WARN", message: "process line" })
        ])
        const before = yield* store.query()
        expect((yield* engine.rebuild()).status).toBe("complete")
        expect(yield* store.query()).toEqual(before)
        expect(before.length).toBe(2)
      }).pipe(Effect.provide(LogStore.layer.pipe(Layer.provideMerge(Layer.fresh(Engine.layer(paths))))))
    }))
})
