/**
 * Thread list latency at 100k and 1M threads: a page of 50 through `Engine.listThreads`
 * (`created_at` desc, `updated_at` desc, a cwd filter with a substring search, and the filters of
 * issue 16: two cwds, a parent id, source kinds, archived `all`), each against the plain SQL of
 * the filter (`cwd IN (…)`, `source_kind IN (…)`, …) through a raw better-sqlite3 prepared
 * statement, planned by SQLite.
 * Pages start at random keyset positions (cursors), so every part of the index is read.
 * The databases are filled with raw inserts of realistic rows and cached in `bench/out/`.
 */
import Sqlite from "better-sqlite3"
import { Effect, Layer } from "effect"
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { encodeCursor } from "../../src/domain/PageCursor.js"
import { sourceKind } from "../../src/domain/SessionSource.js"
import * as Engine from "../../src/infra/engine/Engine.js"
import type { ThreadListQuery } from "../../src/projections/ThreadList.js"
import { THREAD_COLUMNS, type ThreadRow } from "../../src/projections/ThreadsProjection.js"
import { cached, type Figure, log, migratedDatabase, percentile, type Row, row } from "../harness.js"

const PAGE = 50
/** A word that appears in about 3% of first messages: what a user searches for. */
const SEARCH = "flaky"
const WORDS =
  "fix the reader so that folds resume at the recorded offset and add a test for torn lines in archived files".split(
    " "
  )
const PROJECTS = Array.from({ length: 40 }, (_, i) => `/home/dev/src/project-${i.toString(36)}`)
const SOURCES = [
  "cli",
  "cli",
  "vscode",
  "vscode",
  "vscode",
  "exec",
  "mcp",
  "{\"subagent\":\"review\"}",
  "{\"subagent\":{\"thread_spawn\":{\"parent_thread_id\":\"019c0000-0000-7000-8000-000000000000\",\"depth\":1}}}"
]

/** mulberry32: the fill is deterministic for a seed. */
export const rng = (seed: number) => {
  let s = seed
  return () => {
    let t = (s = (s + 0x6d2b79f5) | 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `n` rows inserted raw into a migrated database: skewed cwds, second-granular times with many ties. */
export const fillDatabase = async (file: string, n: number, seed: number): Promise<void> => {
  await migratedDatabase(file)
  const random = rng(seed)
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]!
  const words = (k: number) => Array.from({ length: k }, () => pick(WORDS)).join(" ")
  const db = new Sqlite(file)
  db.pragma("journal_mode = DELETE")
  db.pragma("synchronous = OFF")
  const insert = db.prepare(
    `INSERT INTO threads (${THREAD_COLUMNS.join(", ")}) VALUES (${THREAD_COLUMNS.map((c) => `@${c}`).join(", ")})`
  )
  let created = Date.UTC(2024, 0, 1)
  // Spawned threads name a parent among the threads started shortly before them.
  const recent: Array<string> = []
  const progress = JSON.stringify({
    idFromSessionMeta: true,
    createdAtSource: "session_meta",
    latestLineTimestamp: null,
    turnOpen: false,
    turnOpenedByTask: true
  })
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      // A quarter of threads start in the same second as the one before (sub-agents, scripts).
      if (random() >= 0.25) created += 1000 * Math.ceil(random() * 120)
      const updated = created + 1000 * Math.floor(random() < 0.3 ? 0 : random() * random() * 86_400 * 3)
      const id = `${created.toString(16).padStart(12, "0").replace(/^(.{8})(.{4})$/, "$1-$2")}-7${
        i.toString(16).padStart(3, "0").slice(-3)
      }-8${Math.floor(random() * 0xfff).toString(16).padStart(3, "0")}-${
        Math.floor(random() * 2 ** 48).toString(16).padStart(12, "0")
      }`
      const source = pick(SOURCES)
      const parent = source.includes("thread_spawn") && recent.length > 0
        ? recent[Math.floor(random() * recent.length)]!
        : null
      recent.push(id)
      if (recent.length > 20) recent.shift()
      const message = `${words(6 + Math.floor(random() * 30))}${random() < 0.03 ? ` ${SEARCH} test` : ""}`
      // Skewed: a few projects hold most threads.
      const cwd = PROJECTS[Math.floor(PROJECTS.length * random() * random())]!
      const r: ThreadRow = {
        id,
        rollout_path: `/home/dev/.codex/sessions/2024/01/01/rollout-2024-01-01T00-00-00-${id}.jsonl`,
        created_at_ms: created,
        updated_at_ms: updated,
        source,
        thread_source: null,
        agent_nickname: null,
        agent_role: null,
        agent_path: null,
        parent_thread_id: parent,
        forked_from_id: null,
        model_provider: random() < 0.9 ? "openai" : pick(["azure", "ollama"]),
        model: pick(["gpt-5.3-codex", "gpt-5.2-codex", "o4-mini"]),
        reasoning_effort: pick(["low", "medium", "high", null]),
        cwd,
        cli_version: "0.120.0",
        title: message.slice(0, 80),
        name: random() < 0.05 ? words(3) : null,
        first_user_message: message,
        sandbox_policy: "{\"type\":\"workspace-write\",\"network_access\":false}",
        approval_mode: "on-request",
        tokens_used: Math.floor(random() * 2_000_000),
        git_sha: random() < 0.7 ? Math.floor(random() * 2 ** 52).toString(16).padStart(40, "0") : null,
        git_branch: random() < 0.7 ? "main" : null,
        git_origin_url: random() < 0.7 ? "https://github.com/acme/app.git" : null,
        memory_mode: null,
        archived: random() < 0.1 ? 1 : 0,
        archived_at_ms: null,
        projected_offset: 50_000,
        projected_lines: 120,
        file_size: 50_000,
        fold_progress: progress,
        source_kind: sourceKind(source),
        spawn_status: "open",
        earlier_files: null
      }
      insert.run(r)
    }
  })()
  // The rows stand for a backfilled home: a CLI read then opens read-only, as on an operator's
  // home, instead of backfilling the (empty) bench home and dropping every row whose file is gone.
  db.prepare("UPDATE backfill_state SET status = 'complete', last_success_at_ms = ? WHERE id = 1").run(Date.now())
  db.pragma("optimize")
  db.close()
}

/** Reads a file once, so both sides find its pages in the OS cache rather than on disk. */
const warmFile = (file: string): void => {
  const fd = openSync(file, "r")
  const buffer = Buffer.allocUnsafe(1 << 20)
  while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  closeSync(fd)
}

interface Shape {
  readonly name: string
  readonly query: ThreadListQuery
  readonly sortColumn: "created_at_ms" | "updated_at_ms"
  /** The WHERE clause the engine builds for this query, with `?` for its parameters. */
  readonly where: string
  readonly params: ReadonlyArray<unknown>
}

/** Runs the engine and the raw statement alternately on the same pages; returns per-call ms. */
const measureShape = (
  engine: Engine.Engine,
  raw: Sqlite.Database,
  shape: Shape,
  calls: number,
  random: () => number
) =>
  Effect.gen(function*() {
    const order = `ORDER BY ${shape.sortColumn} DESC, id DESC LIMIT ${PAGE + 1}`
    const first = raw.prepare(`SELECT * FROM threads WHERE ${shape.where} ${order}`)
    const after = raw.prepare(
      `SELECT * FROM threads WHERE ${shape.where} AND (${shape.sortColumn}, id) < (?, ?) ${order}`
    )
    // Start positions: rows matching the filter, so every page is full or reaches the end.
    const positions = raw.prepare(`SELECT ${shape.sortColumn} AS sortMs, id FROM threads WHERE ${shape.where}`).all(
      ...shape.params
    ) as Array<
      { sortMs: number; id: string }
    >
    const sortKey = shape.query.sortKey ?? "created_at"
    const engineMs: Array<number> = []
    const rawMs: Array<number> = []
    const warmup = Math.min(200, calls)
    for (let i = 0; i < warmup + calls; i++) {
      // One call in ten is the first page, the rest continue from a random position.
      const at = i % 10 === 0 ? undefined : positions[Math.floor(random() * positions.length)]
      const query = at === undefined ? shape.query : { ...shape.query, cursor: encodeCursor(sortKey, at) }
      const runRaw = () => {
        const started = performance.now()
        const rows = at === undefined ? first.all(...shape.params) : after.all(...shape.params, at.sortMs, at.id)
        return { rows, ms: performance.now() - started }
      }
      // Whichever reads a page second finds it in the OS cache: take turns going first.
      const rawFirst = i % 2 === 1 ? runRaw() : undefined
      const started = performance.now()
      const page = yield* engine.listThreads(query)
      const ms = performance.now() - started
      const direct = rawFirst ?? runRaw()
      if (page.items.length !== Math.min(PAGE, direct.rows.length)) {
        throw new Error(`${shape.name}: engine ${page.items.length} rows, raw ${direct.rows.length}`)
      }
      if (i >= warmup) {
        engineMs.push(ms)
        rawMs.push(direct.ms)
      }
    }
    return { engineMs, rawMs, matching: positions.length }
  })

const figureRows = (
  n: number,
  shape: Shape,
  times: { engineMs: Array<number>; rawMs: Array<number>; matching: number }
): Array<Row> => {
  const label = `list ${n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`}, ${shape.name}`
  const [e50, r50, e99, r99] = [
    percentile(times.engineMs, 50),
    percentile(times.rawMs, 50),
    percentile(times.engineMs, 99),
    percentile(times.rawMs, 99)
  ]
  return [
    row({ figure: `${label}, p50`, value: e50, unit: "ms", baseline: r50, ratio: e50 / r50 }, {
      on: "ratio",
      op: "<=",
      bound: 1.5
    }),
    row({ figure: `${label}, p50 (absolute)`, value: e50, unit: "ms", baseline: null, ratio: null }, {
      on: "value",
      op: "<",
      bound: 1
    }),
    row({ figure: `${label}, p99`, value: e99, unit: "ms", baseline: r99, ratio: e99 / r99 })
  ]
}

export const figure: Figure = {
  id: "list",
  run: async (sizes) => {
    const out: Array<Row> = []
    const calls = sizes.quick ? 500 : 3000
    for (const n of sizes.listThreads) {
      // v3: rows name parents, the schema has the indexes of issues 16 and 18, the backfill is complete.
      const file = await cached(`list-v3-${n}-s${sizes.seed}.sqlite`, async (path) => {
        const started = performance.now()
        await fillDatabase(path, n, sizes.seed)
        log(`filled ${n} threads in ${((performance.now() - started) / 1000).toFixed(1)} s`)
      })
      warmFile(file)
      const raw = new Sqlite(file, { readonly: true })
      // The most common project: the filter the search runs under.
      const cwd =
        (raw.prepare("SELECT cwd FROM threads GROUP BY cwd ORDER BY COUNT(*) DESC LIMIT 1").get() as { cwd: string })
          .cwd
      const [cwd1, cwd2] = (raw.prepare("SELECT cwd FROM threads GROUP BY cwd ORDER BY COUNT(*) DESC LIMIT 3 OFFSET 1")
        .all() as Array<{ cwd: string }>).map((r) => r.cwd)
      // The parent with the most children: a page of them.
      const parent = (raw.prepare(
        "SELECT parent_thread_id AS id FROM threads WHERE parent_thread_id IS NOT NULL AND archived = 0 GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"
      ).get() as { id: string }).id
      const shapes: ReadonlyArray<Shape> = [
        {
          name: "created_at desc",
          query: { sortKey: "created_at", limit: PAGE },
          sortColumn: "created_at_ms",
          where: "archived = ?",
          params: [0]
        },
        {
          name: "updated_at desc",
          query: { sortKey: "updated_at", limit: PAGE },
          sortColumn: "updated_at_ms",
          where: "archived = ?",
          params: [0]
        },
        {
          name: `cwd + search "${SEARCH}"`,
          query: { sortKey: "created_at", limit: PAGE, cwd, search: SEARCH },
          sortColumn: "created_at_ms",
          where: "archived = ? AND cwd = ? AND (instr(title, ?) > 0 OR instr(COALESCE(first_user_message, ''), ?) > 0)",
          params: [0, cwd, SEARCH, SEARCH]
        },
        {
          name: "two cwds",
          query: { sortKey: "created_at", limit: PAGE, cwd: [cwd1!, cwd2!] },
          sortColumn: "created_at_ms",
          where: "archived = ? AND cwd IN (?, ?)",
          params: [0, cwd1, cwd2]
        },
        {
          name: "parent id",
          query: { sortKey: "created_at", limit: PAGE, parentThreadId: parent },
          sortColumn: "created_at_ms",
          where: "archived = ? AND parent_thread_id = ?",
          params: [0, parent]
        },
        {
          name: "sourceKinds [] (interactive)",
          query: { sortKey: "updated_at", limit: PAGE, sourceKinds: [] },
          sortColumn: "updated_at_ms",
          where: "archived = ? AND source_kind IN (?, ?)",
          params: [0, "cli", "vscode"]
        },
        {
          name: "sourceKinds subAgentReview, exec",
          query: { sortKey: "created_at", limit: PAGE, sourceKinds: ["subAgentReview", "exec"] },
          sortColumn: "created_at_ms",
          where: "archived = ? AND source_kind IN (?, ?)",
          params: [0, "exec", "subAgentReview"]
        },
        {
          name: "archived all",
          query: { sortKey: "created_at", limit: PAGE, archived: "all" },
          sortColumn: "created_at_ms",
          where: "archived IN (?, ?)",
          params: [0, 1]
        }
      ]
      const home = mkdtempSync(join(tmpdir(), "bench-list-"))
      const results = await Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const random = rng(sizes.seed)
        const measured = []
        for (const shape of shapes) {
          measured.push({ shape, times: yield* measureShape(engine, raw, shape, calls, random) })
        }
        return measured
      }).pipe(Effect.provide(Layer.fresh(Engine.layer({ home, database: file, readonly: true }))), Effect.runPromise)
      raw.close()
      rmSync(home, { recursive: true, force: true })
      for (const { shape, times } of results) {
        log(
          `list ${n}, ${shape.name}: ${times.matching} matching rows; engine p50 ${
            percentile(times.engineMs, 50).toFixed(3)
          } ms, raw ${percentile(times.rawMs, 50).toFixed(3)} ms`
        )
        out.push(...figureRows(n, shape, times))
      }
    }
    return out
  }
}
