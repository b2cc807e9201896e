import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import { execFile, spawn } from "node:child_process"
import { appendFileSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { feedbackLine } from "../../../src/domain/LogLine.js"
import * as Database from "../../../src/infra/sqlite/Database.js"
import * as LogStore from "../../../src/infra/stores/LogStore.js"
import { CLI } from "../../fixtures/cli.js"

/** Thread ids are UUIDs (SPEC §12). */
const T1 = "019a9f10-1111-7222-8333-444455556666"
const T2 = "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff"

const cli = (...args: Array<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
      }
    )
  })

/** Runs `use` on the home's database, on a connection of the test's own. */
const onDatabase = <A>(
  file: string,
  use: (store: LogStore.LogStore, sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>
) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      return yield* use(yield* LogStore.make, sql)
    }).pipe(Effect.provide(
      Layer.effect(
        SqlClient.SqlClient,
        Effect.map(Database.Database, (db) => db.sql)
      ).pipe(Layer.provideMerge(Database.layer({ file })))
    ))
  )

const T0 = 1_750_000_000
const line = (i: number, level: LogStore.LogEntry["level"], threadId: string | null, message: string) =>
  LogStore.entry({ ts: T0 + i, tsNanos: i * 1000, level, message, feedbackLogBody: `${message} i=${i}`, threadId })
const rendered = (e: LogStore.LogEntry) =>
  feedbackLine({ ts: e.ts, tsNanos: e.tsNanos, level: e.level, body: e.feedbackLogBody }).slice(0, -1)

const fileSize = (file: string) =>
  onDatabase(
    file,
    (_store, sql) =>
      Effect.map(
        sql<{ id: string; file_size: number }>`SELECT id, file_size FROM threads ORDER BY id LIMIT 1`,
        (rows) => rows[0]!
      )
  )

describe("rollout-state logs (CLI)", () => {
  it(
    "prints the newest lines oldest first with filters, as text or JSON lines, without catching projections up; bad input exits 2",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "logs-cli-"))
      expect((await cli("demo", "--dir", dir)).code).toBe(0)
      const home = join(dir, "home")
      const file = join(home, "state.sqlite")
      const entries = [
        line(0, "INFO", null, "engine opened"),
        line(1, "WARN", T1, "slow fold"),
        line(2, "DEBUG", T1, "fold detail"),
        line(3, "ERROR", T2, "write failed"),
        line(4, "ERROR", T1, "fold failed"),
        line(5, "INFO", T1, "fold done")
      ]
      // The demo command logged its own lines (CommandLog); this test reads only its entries.
      await onDatabase(file, (store, sql) => Effect.zipRight(sql`DELETE FROM logs`, store.insert(entries)))
      // A rollout that grew since it was projected: an engine would catch it up on open.
      const before = await fileSize(file)
      const rollout = await onDatabase(
        file,
        (_store, sql) =>
          Effect.map(
            sql<{ rollout_path: string }>`SELECT rollout_path FROM threads WHERE id = ${before.id}`,
            (rows) => rows[0]!.rollout_path
          )
      )
      appendFileSync(
        rollout,
        `${
          JSON.stringify({
            timestamp: "2025-06-01T00:00:00.000Z",
            type: "event_msg",
            payload: { type: "user_message", message: "more" }
          })
        }\n`
      )

      const all = await cli("logs", "--home", home)
      expect(all.code).toBe(0)
      expect(all.stdout).toBe(`${entries.map(rendered).join("\n")}\n`)
      expect(await fileSize(file)).toEqual(before)

      const limited = await cli("logs", "--home", home, "--limit", "2")
      expect(limited.stdout).toBe(`${entries.slice(-2).map(rendered).join("\n")}\n`)
      const warnings = await cli("logs", "--home", home, "--thread", T1, "--level", "Warning", "--json")
      // One document without --follow (JSON Lines only when following).
      const objects = (JSON.parse(warnings.stdout) as { items: Array<{ message: string }> }).items
      expect(objects.map((o) => o.message)).toEqual(["slow fold", "fold failed"])
      expect(objects[0]).toEqual({
        id: expect.any(Number) as number,
        timestamp: "2025-06-15T15:06:41.000001Z",
        level: "WARN",
        target: "rollout-state",
        message: "slow fold",
        body: "slow fold i=1",
        threadId: T1,
        processUuid: entries[1]!.processUuid,
        modulePath: null,
        file: null,
        line: null,
        estimatedBytes: Buffer.byteLength(`${rendered(entries[1]!)}\n`)
      })
      const searched = await cli("logs", "--db", file, "--search", "fold", "--level", "error")
      expect(searched.stdout).toBe(`${rendered(entries[4]!)}\n`)
      const none = await cli("logs", "--home", home, "--search", "FOLD")
      expect([none.code, none.stdout, none.stderr]).toEqual([0, "", "no log lines\n"])

      const badLevel = await cli("logs", "--home", home, "--level", "loud")
      expect([badLevel.code, badLevel.stderr]).toEqual([2, expect.stringMatching(/--level: unknown level "loud"/)])
      const missing = await cli("logs", "--db", join(dir, "missing.sqlite"))
      expect([missing.code, missing.stderr]).toEqual([
        2,
        expect.stringMatching(/missing\.sqlite: open: no database here/)
      ])

      // The same home through a writing engine command is caught up: the check above could fail.
      // (Reads such as `threads list` no longer catch up: docs/decisions.md, issue 18.)
      expect((await cli("backfill", "--home", home)).code).toBe(0)
      expect((await fileSize(file)).file_size).toBeGreaterThan(before.file_size)
    },
    120_000
  )

  it("a failing log query names the database file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "logs-broken-"))
    const file = join(dir, "state.sqlite")
    await onDatabase(file, (_store, sql) => sql`DROP TABLE logs`)
    const run = await cli("logs", "--home", dir)
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`${file}: logs: `)
    expect(run.stderr).toMatch(/no such table: logs/)
  })

  it("--follow prints matching lines as they arrive and ends with exit 130 on Ctrl-C (SPEC §12: never 0)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "logs-follow-"))
    const file = join(dir, "state.sqlite")
    const old = [line(0, "INFO", T1, "before"), line(1, "INFO", T2, "other thread")]
    await onDatabase(file, (store) => store.insert(old))
    const child = spawn(process.execPath, [CLI, "logs", "--home", dir, "--thread", T1, "--follow"], {
      env: { ...process.env, NO_COLOR: "1" }
    })
    let stdout = ""
    child.stdout.on("data", (chunk) => (stdout += String(chunk)))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 300 && !done(); i++) await new Promise((r) => setTimeout(r, 50))
      expect(done()).toBe(true)
    }
    await until(() => stdout.includes("before"))
    const fresh = [
      line(2, "INFO", T2, "not mine"),
      line(3, "ERROR", T1, "after one"),
      line(4, "INFO", T1, "after two")
    ]
    await onDatabase(file, (store) => store.insert(fresh))
    await until(() => stdout.includes("after two"))
    child.kill("SIGINT")
    expect(await exited).toBe(130)
    expect(stdout).toBe(`${[old[0]!, fresh[1]!, fresh[2]!].map(rendered).join("\n")}\n`)
  }, 60_000)
})
