import * as SqlClient from "@effect/sql/SqlClient"
import { afterEach, describe, expect, it, vi } from "@effect/vitest"
import { Cause, Effect, Layer, Logger, LogLevel, Schema, TestClock } from "effect"
import * as LogStore from "../../../src/infra/stores/LogStore.js"
import { PROCESS_UUID, PROCESS_UUID_PATTERN } from "../../../src/infra/stores/ProcessUuid.js"
import * as SqliteLogger from "../../../src/infra/stores/SqliteLogger.js"
import { connect, sqlLayer, tempDatabaseFile } from "../../fixtures/stateDatabase.js"
import { threadIdOf as tid } from "../../fixtures/threadIds.js"

/** Every row of the file, read on a connection of its own after the logger's layer closed. */
const rowsOf = (file: string) =>
  Effect.scoped(Effect.gen(function*() {
    const db = yield* connect(file)
    return yield* Effect.flatMap(
      db.sql`SELECT * FROM logs ORDER BY id`,
      Schema.decodeUnknown(Schema.Array(LogStore.LogRecordFromRow))
    )
  }))

/** Runs `program` with the SQLite logger (replacing the console one) over a fresh file. */
const withLogger = <A, E>(
  file: string,
  program: Effect.Effect<A, E, SqliteLogger.SqliteLogger | LogStore.LogStore | SqlClient.SqlClient>,
  options: SqliteLogger.SqliteLoggerOptions = {}
) =>
  program.pipe(
    Effect.provide(SqliteLogger.layer({ ...options, replaceDefault: true }).pipe(Layer.provideMerge(sqlLayer(file))))
  )

/** The number of rows, read on the program's own connection. */
const rowCount = Effect.map(
  SqlClient.SqlClient,
  (sql) => Effect.map(sql<{ n: number }>`SELECT COUNT(*) AS n FROM logs`, (rows) => rows[0]!.n)
)

const waitFor = <A>(read: Effect.Effect<A, unknown>, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      const value = yield* read
      if (done(value)) return value
      yield* Effect.sleep(10)
    }
    return yield* Effect.dieMessage("timed out waiting for the logger")
  })

afterEach(() => {
  vi.restoreAllMocks()
})

describe("SqliteLogger", () => {
  it.effect("no line is lost across a scope close: every line of concurrent fibers is written with its level, annotations, thread and spans", () =>
    Effect.gen(function*() {
      const file = tempDatabaseFile("logger-")
      const perFiber = 300
      const fibers = 4
      yield* withLogger(
        file,
        Effect.gen(function*() {
          yield* Effect.forEach(
            Array.from({ length: fibers }, (_, f) => f),
            (f) =>
              Effect.forEach(
                Array.from({ length: perFiber }, (_, i) => i),
                (i) => Effect.log(`fiber ${f} line ${i}`).pipe(Effect.annotateLogs({ threadId: `thread-${f}`, i }))
              ),
            { concurrency: "unbounded", discard: true }
          )
          yield* Effect.zipRight(TestClock.adjust(25), Effect.logWarning("spanned")).pipe(
            Effect.withLogSpan("fold file"),
            Effect.annotateLogs({
              target: "engine",
              modulePath: "infra/Engine",
              file: "Engine.ts",
              line: 42,
              cwd: "/my work"
            })
          )
          yield* Effect.logError("failed", Cause.fail("boom"))
          yield* Effect.logDebug("debug", 1, { a: [1] }).pipe(Logger.withMinimumLogLevel(LogLevel.Debug))
        })
      )
      const rows = yield* rowsOf(file)
      expect(rows.length).toBe(fibers * perFiber + 3)
      for (let f = 0; f < fibers; f++) {
        const own = rows.filter((r) => r.threadId === `thread-${f}`)
        expect(own.map((r) => r.message)).toEqual(Array.from({ length: perFiber }, (_, i) => `fiber ${f} line ${i}`))
        expect(own.map((r) => r.feedbackLogBody)).toEqual(
          Array.from({ length: perFiber }, (_, i) => `fiber ${f} line ${i} i=${i}`)
        )
      }
      const [spanned, failed, debug] = rows.slice(-3)
      expect(spanned).toMatchObject({
        level: "WARN",
        target: "engine",
        modulePath: "infra/Engine",
        file: "Engine.ts",
        line: 42,
        threadId: null,
        ts: 0,
        tsNanos: 25_000_000,
        feedbackLogBody: `spanned fold_file=25ms cwd="/my work"`
      })
      expect(failed).toMatchObject({ level: "ERROR", target: "rollout-state", message: "failed" })
      expect(failed!.feedbackLogBody).toMatch(/^failed cause="Error: boom/)
      expect(debug).toMatchObject({ level: "DEBUG", message: `debug 1 {"a":[1]}` })
      expect(rows.every((r) => r.processUuid === PROCESS_UUID && r.estimatedBytes > 0)).toBe(true)
    }))

  it("process_uuid is pid:<pid>:<uuid v4>, fixed for the process", () => {
    expect(PROCESS_UUID).toMatch(PROCESS_UUID_PATTERN)
    expect(PROCESS_UUID.startsWith(`pid:${process.pid}:`)).toBe(true)
    expect(PROCESS_UUID_PATTERN.test(`pid:1:${crypto.randomUUID().replace(/^(.{14})./, "$11")}`)).toBe(false)
  })

  it.live("writes a full batch at once, without waiting for the interval or the close", () =>
    Effect.gen(function*() {
      const file = tempDatabaseFile("logger-")
      yield* withLogger(
        file,
        Effect.gen(function*() {
          const count = yield* rowCount
          yield* Effect.forEach(Array.from({ length: 50 }, (_, i) => i), (i) => Effect.log(`b${i}`), { discard: true })
          expect(yield* waitFor(count, (n) => n >= 50)).toBe(50)
        }),
        { batchSize: 50, flushIntervalMs: 600_000 }
      )
    }))

  it.live("writes a lone line once the flush interval has passed", () =>
    Effect.gen(function*() {
      const file = tempDatabaseFile("logger-")
      yield* withLogger(
        file,
        Effect.gen(function*() {
          const count = yield* rowCount
          yield* Effect.log("alone")
          expect(yield* waitFor(count, (n) => n >= 1)).toBe(1)
        }),
        { batchSize: 1000, flushIntervalMs: 30 }
      )
    }))

  it.effect("flush writes every line logged so far, so a feedback export right after includes them", () =>
    Effect.gen(function*() {
      const file = tempDatabaseFile("logger-")
      const text = yield* withLogger(
        file,
        Effect.gen(function*() {
          yield* Effect.log("starting")
          yield* Effect.log("working").pipe(Effect.annotateLogs("threadId", tid("t")))
          yield* (yield* SqliteLogger.SqliteLogger).flush
          return yield* (yield* LogStore.LogStore).feedbackExport({ threadId: tid("t"), maxBytes: 10_000 })
        })
      )
      expect(text).toBe("1970-01-01T00:00:00.000000Z  INFO starting\n1970-01-01T00:00:00.000000Z  INFO working\n")
    }))

  it.effect("a full queue drops new lines without failing the caller, and the next write records how many were lost", () =>
    Effect.gen(function*() {
      const file = tempDatabaseFile("logger-")
      // Logging in one fiber without yielding: the writer cannot run until the close.
      yield* withLogger(
        file,
        Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) => Effect.log(`l${i}`), { discard: true }),
        {
          batchSize: 10,
          queueCapacity: 10
        }
      )
      const rows = yield* rowsOf(file)
      expect(rows.map((r) => r.message)).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `l${i}`),
        "logger lost 90 lines (90 while its queue was full, 0 in writes that failed)"
      ])
      expect(rows[10]).toMatchObject({ level: "WARN", threadId: null })
    }))

  it.live("a failing database never fails the caller: the writer reports once on stderr, keeps going, and records the lines it lost", () =>
    Effect.gen(function*() {
      const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true)
      const file = tempDatabaseFile("logger-")
      yield* withLogger(
        file,
        Effect.gen(function*() {
          const logger = yield* SqliteLogger.SqliteLogger
          const sql = yield* SqlClient.SqlClient
          yield* sql`ALTER TABLE logs RENAME TO logs_away`
          for (let i = 0; i < 3; i++) {
            yield* Effect.log(`while broken ${i}`)
            yield* logger.flush
          }
          yield* sql`ALTER TABLE logs_away RENAME TO logs`
          yield* Effect.log("recovered")
        }),
        { maxTotalBytes: null }
      )
      const reports = stderr.mock.calls.map(([chunk]) => String(chunk)).filter((s) =>
        s.startsWith("rollout-state logger:")
      )
      stderr.mockRestore()
      expect(reports.length).toBe(1)
      expect(reports[0]).toMatch(/writing log lines failed.*no such table: logs/s)
      const rows = yield* rowsOf(file)
      expect(rows.map((r) => r.message)).toEqual([
        "recovered",
        "logger lost 3 lines (0 while its queue was full, 3 in writes that failed)"
      ])
    }))

  it.effect("a message that cannot be rendered is logged as such, and the caller goes on", () =>
    Effect.gen(function*() {
      const file = tempDatabaseFile("logger-")
      const hostile = {
        toJSON: () => {
          throw new Error("no json")
        },
        toString: () => {
          throw new Error("no string")
        }
      }
      const result = yield* withLogger(file, Effect.as(Effect.log(hostile), "went on"))
      expect(result).toBe("went on")
      expect((yield* rowsOf(file)).map((r) => r.message)).toEqual(["<message could not be rendered>"])
    }))
})
