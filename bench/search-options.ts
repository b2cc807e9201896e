/**
 * Issue 6: what could bring the thread list's `cwd + search` page of 50 at 1M threads under
 * 1 ms p50. Each option changes its own copy of the list database (so every copy fits the 2 GB a
 * connection can map, and no option's pages crowd another's) and is read with raw better-sqlite3
 * prepared statements (`.raw().all()`, as the engine reads `.values`):
 *
 * - `base`: the shipped schema: `threads_archived_cwd_created` and a table-row lookup per index
 *   entry walked (the engine's SQL today);
 * - `covering`: an added index on (archived, cwd, created_at_ms DESC, id DESC, title, first_user_message);
 * - `dedup`: `threads_archived_cwd_created` replaced by the same key with the first message and
 *   the title only where it is not a prefix of the message (the engine sets both from the same
 *   text, so most titles add nothing to search), left to the planner;
 * - `side`: a WITHOUT ROWID table clustered by the list key holding the same two texts, kept by
 *   triggers, joined to `threads` by id for the page;
 * - `fts`: FTS5 over title and first message with the case-sensitive `trigram` tokenizer
 *   (external content, kept by triggers), queried as `rowid IN (MATCH)` on the cwd index, as a
 *   join driven by the match, by trigram GLOB, and the match set alone (its materialisation cost);
 * - `signature`: each thread's trigrams hashed into 256 bits (four integer columns the projection
 *   would compute) in an added index on the list key: entries whose bits lack the term's are
 *   skipped without reading the row, the rest are checked with instr;
 * - every query also on a connection with `mmap_size` at its maximum (no schema change);
 * - the cwd page without a search, on `base` and `dedup` (the index `dedup` replaces served it).
 *
 * Two search terms: "flaky" (~3% of first messages, the list figure's) and "segfault", appended
 * to 0.3% of first messages of the copy (the bench's vocabulary has no rarer word, and phrases of
 * its 22 common words give every trigram index unrepresentatively long posting lists). A page
 * walks about 50/density index entries, so the rare term shows how each option scales. Pages are
 * the first page and pages from a cursor at a random matching row, as the list figure takes them;
 * every option's page must equal the base query's. Queries take turns going first, call by call.
 * The bench's messages are short (~110 characters) and drawn from a 22-word vocabulary: text
 * scanned per entry, index sizes and how full a signature gets all grow with real messages.
 *
 * Write cost: 10,000 thread rows upserted one statement each in one transaction (as the raw
 * projection baseline writes them), with each option against without it: inserted into a fresh
 * migrated database (projection, backfill), upserted again with new times and offsets (a live
 * append), inserted into the option's copy of the list database ("large") under new ids and
 * upserted there. Medians over `--reps`, the options' order rotating each repetition.
 *
 *   node --import tsx bench/search-options.ts [--threads 1000000] [--db PATH] [--seed 1]
 *     [--calls 300] [--reps 7] [--write-rows 10000]
 *
 * Reads `bench/out/list-<threads>-s<seed>.sqlite` (the list figure's cached database, filled here
 * the same way if missing) or `--db`, never writes to it; the copies live in a temporary directory
 * removed at the end. Prints tables and writes `bench/out/search-options.json`.
 */
import Sqlite from "better-sqlite3"
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { THREAD_COLUMNS, THREAD_SELECT } from "../src/projections/ThreadsProjection.js"
import { fillDatabase } from "./figures/list.js"
import { cached, log, median, migratedDatabase, OUT_DIR, percentile } from "./harness.js"

const PAGE = 50
const COMMON = "flaky"
const RARE = "segfault"
/** The most a connection of this better-sqlite3 build maps (SQLITE_MAX_MMAP_SIZE). */
const MMAP_BYTES = 0x7fff0000

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1000000" },
    db: { type: "string" },
    seed: { type: "string", default: "1" },
    calls: { type: "string", default: "300" },
    reps: { type: "string", default: "7" },
    "write-rows": { type: "string", default: "10000" }
  }
})
const positive = (flag: string | undefined, name: string): number => {
  const n = Number(flag)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: not a positive integer: ${flag}`)
  return n
}
const threads = positive(values.threads, "threads")
const seed = positive(values.seed, "seed")
const calls = positive(values.calls, "calls")
const reps = positive(values.reps, "reps")
const writeRows = positive(values["write-rows"], "write-rows")

// --- the options --------------------------------------------------------------------------

/** Where the first message already starts with the title, searching the title adds nothing. */
const EXTRA_TITLE = "CASE WHEN substr(first_user_message, 1, length(title)) = title THEN NULL ELSE title END"
const SEARCH = "(instr(title, ?) > 0 OR instr(COALESCE(first_user_message, ''), ?) > 0)"
const ORDER = `ORDER BY created_at_ms DESC, id DESC LIMIT ${PAGE + 1}`
const SELECT_T = THREAD_COLUMNS.map((c) => `t.${c}`).join(", ")

interface Query {
  readonly name: string
  /** Its SQL for the first page, and after a cursor (`?, ?` last: sort ms, id). */
  readonly first: string
  readonly after: string
  /** Parameters before the cursor's, for a search term and a cwd. */
  readonly params: (term: string, cwd: string) => ReadonlyArray<unknown>
  /** Measured on one call in `stride` only (the slow ones). */
  readonly stride?: number
  /** Results are compared within a group (default: the search page, whose first is the base query). */
  readonly group?: "search" | "plain" | "count"
}

interface SearchOption {
  readonly name: string
  /** What the option adds to the shipped schema (a migration's body). */
  readonly ddl: string
  /** Schema objects whose pages the option adds (dbstat names). */
  readonly objects: ReadonlyArray<string>
  readonly queries: ReadonlyArray<Query>
  /** Fills what the DDL added for the rows already there (a one-off pass of the engine's). */
  readonly fill?: (db: Sqlite.Database) => void
  /** Columns the projection would write besides the thread's, computed from its row. */
  readonly extraColumns?: ReadonlyArray<string>
  /** Sets the extra columns of a row (which already has them). */
  readonly setExtras?: (row: Record<string, unknown>) => void
}

/** The engine's query shape over `threads` with another search condition; `index` pins the walk (else the planner's). */
const walk = (name: string, index: string | undefined, search: string, params: Query["params"]): Query => ({
  name,
  first: `SELECT ${THREAD_SELECT} FROM threads${
    index === undefined ? "" : ` INDEXED BY ${index}`
  } WHERE archived = 0 AND cwd = ? AND ${search} ${ORDER}`,
  after: `SELECT ${THREAD_SELECT} FROM threads${
    index === undefined ? "" : ` INDEXED BY ${index}`
  } WHERE archived = 0 AND cwd = ? AND ${search} AND (created_at_ms, id) < (?, ?) ${ORDER}`,
  params
})

/** A trigram phrase: the term, quoted. Shorter than 3 characters it cannot use the index. */
const phrase = (term: string) => `"${term.replaceAll("\"", "\"\"")}"`
const globPattern = (term: string) => `*${term.replace(/[*?[]/g, (c) => `[${c}]`)}*`

const SIGNATURE_WORDS = 4
const SIGNATURE_COLUMNS = Array.from({ length: SIGNATURE_WORDS }, (_, k) => `search_sig${k}`)
/**
 * The set of a text's trigrams (three UTF-16 code units, FNV-1a) as 64 * SIGNATURE_WORDS bits in
 * signed 64-bit words. A substring's set is a subset of the text's: `(sig & mask) = mask` never
 * drops a match, and -1 (every bit) stands for a row not yet signed.
 */
const trigramSignature = (text: string): Array<bigint> => {
  const halves = new Int32Array(SIGNATURE_WORDS * 2)
  for (let i = 0; i + 3 <= text.length; i++) {
    let h = Math.imul(2166136261 ^ text.charCodeAt(i), 16777619)
    h = Math.imul(h ^ text.charCodeAt(i + 1), 16777619)
    h = Math.imul(h ^ text.charCodeAt(i + 2), 16777619)
    const bit = (h >>> 0) % (SIGNATURE_WORDS * 64)
    halves[bit >> 5] = (halves[bit >> 5] ?? 0) | (1 << (bit & 31))
  }
  return Array.from(
    { length: SIGNATURE_WORDS },
    (_, k) => BigInt.asIntN(64, (BigInt((halves[2 * k + 1] ?? 0) >>> 0) << 32n) | BigInt((halves[2 * k] ?? 0) >>> 0))
  )
}
/** Title and first message in one set: a term in either has all its trigrams in the union. */
const threadSignature = (title: unknown, message: unknown) =>
  trigramSignature(`${typeof title === "string" ? title : ""}\u0000${typeof message === "string" ? message : ""}`)

const OPTIONS: ReadonlyArray<SearchOption> = [
  {
    name: "base",
    ddl: "",
    objects: [],
    queries: [
      walk("base: cwd index + row lookups", "threads_archived_cwd_created", SEARCH, (term, cwd) => [cwd, term, term]),
      { ...walk("base: cwd page, no search", undefined, "1", (_, cwd) => [cwd]), group: "plain" }
    ]
  },
  {
    name: "covering",
    ddl:
      "CREATE INDEX threads_search_covering ON threads (archived, cwd, created_at_ms DESC, id DESC, title, first_user_message);",
    objects: ["threads_search_covering"],
    queries: [
      walk("covering: same SQL, covering index", "threads_search_covering", SEARCH, (term, cwd) => [cwd, term, term])
    ]
  },
  {
    name: "dedup",
    // Same leading key as the index it replaces, so the cwd listing without a search reads it too.
    ddl: `DROP INDEX threads_archived_cwd_created;
CREATE INDEX threads_archived_cwd_created_search ON threads (archived, cwd, created_at_ms DESC, id DESC,
  first_user_message, (${EXTRA_TITLE}));`,
    objects: ["threads_archived_cwd_created_search"],
    queries: [
      walk(
        "dedup: message + non-prefix title",
        undefined,
        `(instr(first_user_message, ?) > 0 OR instr(${EXTRA_TITLE}, ?) > 0)`,
        (term, cwd) => [cwd, term, term]
      ),
      { ...walk("dedup: cwd page, no search", undefined, "1", (_, cwd) => [cwd]), group: "plain" }
    ]
  },
  {
    name: "side",
    ddl: `CREATE TABLE thread_search (
  archived INTEGER NOT NULL,
  cwd TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  id TEXT NOT NULL,
  message TEXT,
  extra_title TEXT,
  PRIMARY KEY (archived, cwd, created_at_ms DESC, id DESC)
) WITHOUT ROWID;
INSERT INTO thread_search SELECT archived, cwd, created_at_ms, id, first_user_message, ${EXTRA_TITLE} FROM threads
  ORDER BY archived, cwd, created_at_ms DESC, id DESC;
CREATE TRIGGER thread_search_insert AFTER INSERT ON threads BEGIN
  INSERT INTO thread_search VALUES (new.archived, new.cwd, new.created_at_ms, new.id, new.first_user_message,
    CASE WHEN substr(new.first_user_message, 1, length(new.title)) = new.title THEN NULL ELSE new.title END);
END;
CREATE TRIGGER thread_search_update AFTER UPDATE OF archived, cwd, created_at_ms, title, first_user_message ON threads
WHEN old.archived IS NOT new.archived OR old.cwd IS NOT new.cwd OR old.created_at_ms IS NOT new.created_at_ms
  OR old.title IS NOT new.title OR old.first_user_message IS NOT new.first_user_message BEGIN
  DELETE FROM thread_search WHERE archived = old.archived AND cwd = old.cwd AND created_at_ms = old.created_at_ms AND id = old.id;
  INSERT INTO thread_search VALUES (new.archived, new.cwd, new.created_at_ms, new.id, new.first_user_message,
    CASE WHEN substr(new.first_user_message, 1, length(new.title)) = new.title THEN NULL ELSE new.title END);
END;
CREATE TRIGGER thread_search_delete AFTER DELETE ON threads BEGIN
  DELETE FROM thread_search WHERE archived = old.archived AND cwd = old.cwd AND created_at_ms = old.created_at_ms AND id = old.id;
END;`,
    objects: ["thread_search"],
    queries: [{
      name: "side: WITHOUT ROWID walk + join by id",
      first: `SELECT ${SELECT_T} FROM thread_search s CROSS JOIN threads t ON t.id = s.id
        WHERE s.archived = 0 AND s.cwd = ? AND (instr(s.message, ?) > 0 OR instr(s.extra_title, ?) > 0)
        ORDER BY s.created_at_ms DESC, s.id DESC LIMIT ${PAGE + 1}`,
      after: `SELECT ${SELECT_T} FROM thread_search s CROSS JOIN threads t ON t.id = s.id
        WHERE s.archived = 0 AND s.cwd = ? AND (instr(s.message, ?) > 0 OR instr(s.extra_title, ?) > 0)
          AND (s.created_at_ms, s.id) < (?, ?)
        ORDER BY s.created_at_ms DESC, s.id DESC LIMIT ${PAGE + 1}`,
      params: (term, cwd) => [cwd, term, term]
    }]
  },
  {
    name: "fts",
    ddl: `CREATE VIRTUAL TABLE threads_search_fts USING fts5(title, first_user_message,
  content = 'threads', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 1');
INSERT INTO threads_search_fts (threads_search_fts) VALUES ('rebuild');
CREATE TRIGGER threads_search_fts_insert AFTER INSERT ON threads BEGIN
  INSERT INTO threads_search_fts (rowid, title, first_user_message) VALUES (new.rowid, new.title, new.first_user_message);
END;
CREATE TRIGGER threads_search_fts_update AFTER UPDATE OF title, first_user_message ON threads
WHEN old.title IS NOT new.title OR old.first_user_message IS NOT new.first_user_message BEGIN
  INSERT INTO threads_search_fts (threads_search_fts, rowid, title, first_user_message) VALUES ('delete', old.rowid, old.title, old.first_user_message);
  INSERT INTO threads_search_fts (rowid, title, first_user_message) VALUES (new.rowid, new.title, new.first_user_message);
END;
CREATE TRIGGER threads_search_fts_delete AFTER DELETE ON threads BEGIN
  INSERT INTO threads_search_fts (threads_search_fts, rowid, title, first_user_message) VALUES ('delete', old.rowid, old.title, old.first_user_message);
END;`,
    objects: [
      "threads_search_fts_data",
      "threads_search_fts_idx",
      "threads_search_fts_docsize",
      "threads_search_fts_config"
    ],
    queries: [
      walk(
        "fts: cwd index, rowid IN (MATCH)",
        "threads_archived_cwd_created",
        "rowid IN (SELECT rowid FROM threads_search_fts WHERE threads_search_fts MATCH ?)",
        (term, cwd) => [cwd, phrase(term)]
      ),
      {
        name: "fts: join driven by MATCH",
        first: `SELECT ${SELECT_T} FROM threads_search_fts CROSS JOIN threads t ON t.rowid = threads_search_fts.rowid
          WHERE threads_search_fts MATCH ? AND t.archived = 0 AND t.cwd = ?
          ORDER BY t.created_at_ms DESC, t.id DESC LIMIT ${PAGE + 1}`,
        after: `SELECT ${SELECT_T} FROM threads_search_fts CROSS JOIN threads t ON t.rowid = threads_search_fts.rowid
          WHERE threads_search_fts MATCH ? AND t.archived = 0 AND t.cwd = ? AND (t.created_at_ms, t.id) < (?, ?)
          ORDER BY t.created_at_ms DESC, t.id DESC LIMIT ${PAGE + 1}`,
        params: (term, cwd) => [phrase(term), cwd]
      },
      {
        ...walk(
          "fts: cwd index, rowid IN (trigram GLOB)",
          "threads_archived_cwd_created",
          `rowid IN (SELECT rowid FROM threads_search_fts WHERE title GLOB ?
            UNION ALL SELECT rowid FROM threads_search_fts WHERE first_user_message GLOB ?)`,
          (term, cwd) => [cwd, globPattern(term), globPattern(term)]
        ),
        // Hundreds of ms a call: one call in 7 (coprime with the first-page 5).
        stride: 7
      },
      {
        name: "fts: match set alone (count)",
        first: "SELECT count(*) FROM threads_search_fts WHERE threads_search_fts MATCH ?",
        after:
          "SELECT count(*) FROM threads_search_fts WHERE threads_search_fts MATCH ? AND ? IS NOT NULL AND ? IS NOT NULL",
        params: (term) => [phrase(term)],
        group: "count"
      }
    ]
  },
  {
    name: "signature",
    ddl: `${SIGNATURE_COLUMNS.map((c) => `ALTER TABLE threads ADD COLUMN ${c} INTEGER NOT NULL DEFAULT -1;`).join("\n")}
CREATE INDEX threads_search_signature ON threads (archived, cwd, created_at_ms DESC, id DESC, ${
      SIGNATURE_COLUMNS.join(", ")
    });`,
    objects: ["threads_search_signature"],
    fill: (db) => {
      db.function(
        "thread_signature",
        { deterministic: true, safeIntegers: true },
        (title: unknown, message: unknown, k: unknown) => threadSignature(title, message)[Number(k)]!
      )
      db.exec(
        `UPDATE threads SET ${
          SIGNATURE_COLUMNS.map((c, k) => `${c} = thread_signature(title, first_user_message, ${k})`).join(", ")
        }`
      )
    },
    extraColumns: SIGNATURE_COLUMNS,
    setExtras: (row) => {
      const signature = threadSignature(row.title, row.first_user_message)
      for (let k = 0; k < SIGNATURE_WORDS; k++) row[SIGNATURE_COLUMNS[k]!] = signature[k]!
    },
    queries: [
      walk(
        "signature: trigram bits, then row + instr",
        "threads_search_signature",
        `${SIGNATURE_COLUMNS.map((c) => `(${c} & ?) = ?`).join(" AND ")} AND ${SEARCH}`,
        (term, cwd) => [cwd, ...trigramSignature(term).flatMap((w) => [w, w]), term, term]
      )
    ]
  }
]

// --- helpers -------------------------------------------------------------------------------

/** Park-Miller: cursor positions are the same for a seed. */
const lcg = (start: number) => {
  let s = start % 2147483647 || 1
  return () => (s = (s * 16807) % 2147483647) / 2147483647
}

const structureBytes = (db: Sqlite.Database, objects: ReadonlyArray<string>): number =>
  objects.reduce(
    (sum, name) =>
      sum +
      ((db.prepare("SELECT sum(pgsize) AS b FROM dbstat WHERE name = ?").get(name) as { b: number | null }).b ?? 0),
    0
  )

const fileBytes = (db: Sqlite.Database): number =>
  (db.pragma("page_count", { simple: true }) as number) * (db.pragma("page_size", { simple: true }) as number)

const openWritable = (file: string): Sqlite.Database => {
  // As Database.ts opens a writer.
  const db = new Sqlite(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.pragma("foreign_keys = ON")
  return db
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

// --- prepare the copies --------------------------------------------------------------------

const source = values.db ?? await cached(`list-${threads}-s${seed}.sqlite`, async (path) => {
  const started = performance.now()
  await fillDatabase(path, threads, seed)
  log(`filled ${threads} threads in ${((performance.now() - started) / 1000).toFixed(1)} s`)
})
const work = mkdtempSync(join(tmpdir(), "search-options-"))
const started = performance.now()
log(`copies in ${work}`)

const baseFile = join(work, "base.sqlite")
copyFileSync(source, baseFile)
{
  const db = openWritable(baseFile)
  // 0.3% of first messages, spread evenly over the rowids (761 is a unit mod 1000).
  const rare = db.prepare(`UPDATE threads SET first_user_message = first_user_message || ' ${RARE}'
    WHERE first_user_message IS NOT NULL AND (rowid * 761) % 1000 < 3`).run().changes
  log(`"${RARE}" appended to ${rare} first messages`)
  db.pragma("wal_checkpoint(TRUNCATE)")
  db.close()
}

interface Built {
  readonly option: SearchOption
  readonly file: string
  readonly buildSeconds: number
  readonly structureBytes: number
  readonly fileBytesBefore: number
  readonly fileBytesAfter: number
}
const built: Array<Built> = []
for (const option of OPTIONS) {
  const file = option.ddl === "" ? baseFile : join(work, `${option.name}.sqlite`)
  if (file !== baseFile) copyFileSync(baseFile, file)
  const db = openWritable(file)
  const before = fileBytes(db)
  const t0 = performance.now()
  if (option.ddl !== "") db.exec(option.ddl)
  option.fill?.(db)
  const buildSeconds = (performance.now() - t0) / 1000
  db.pragma("wal_checkpoint(TRUNCATE)")
  const after = fileBytes(db)
  const bytes = structureBytes(db, option.objects)
  db.close()
  built.push({ option, file, buildSeconds, structureBytes: bytes, fileBytesBefore: before, fileBytesAfter: after })
  log(
    `${option.name}: built in ${buildSeconds.toFixed(1)} s, +${(bytes / 1e6).toFixed(0)} MB (file ${
      (before / 1e6).toFixed(0)
    } -> ${(after / 1e6).toFixed(0)} MB)`
  )
}

// --- reads ---------------------------------------------------------------------------------

interface Prepared {
  readonly option: string
  readonly query: Query
  readonly mmap: boolean
  readonly first: Sqlite.Statement
  readonly after: Sqlite.Statement
  readonly firstMs: Array<number>
  readonly afterMs: Array<number>
}
const connections: Array<Sqlite.Database> = []
const prepared: Array<Prepared> = []
for (const b of built) {
  for (const mmap of [false, true]) {
    const db = new Sqlite(b.file, { readonly: true })
    if (mmap) db.pragma(`mmap_size = ${MMAP_BYTES}`)
    connections.push(db)
    for (const query of b.option.queries) {
      prepared.push({
        option: b.option.name,
        query,
        mmap,
        first: db.prepare(query.first).raw(),
        after: db.prepare(query.after).raw(),
        firstMs: [],
        afterMs: []
      })
    }
  }
}
const plans: Record<string, Array<string>> = {}
for (const p of prepared.filter((p) => !p.mmap)) {
  const db = connections[built.findIndex((b) => b.option.name === p.option) * 2]!
  plans[p.query.name] =
    (db.prepare(`EXPLAIN QUERY PLAN ${p.query.after}`).all(...p.query.params("xxxx", "/"), 0, "") as Array<
      { detail: string }
    >)
      .map((r) => r.detail)
}

const baseDb = connections[0]!
// The most common project: the filter the search runs under, as in the list figure.
const cwd =
  (baseDb.prepare("SELECT cwd FROM threads GROUP BY cwd ORDER BY COUNT(*) DESC LIMIT 1").get() as { cwd: string }).cwd
const live =
  (baseDb.prepare("SELECT count(*) AS n FROM threads WHERE archived = 0 AND cwd = ?").get(cwd) as { n: number }).n

interface TermResult {
  readonly term: string
  readonly matching: number
  readonly density: number
  readonly rows: Array<
    { option: string; query: string; mmap: boolean; page: "first" | "after"; n: number; p50: number; p99: number }
  >
}
const terms: Array<TermResult> = []
for (const term of [COMMON, RARE]) {
  const positions = baseDb.prepare(
    `SELECT created_at_ms AS sortMs, id FROM threads WHERE archived = 0 AND cwd = ? AND ${SEARCH}`
  )
    .all(cwd, term, term) as Array<{ sortMs: number; id: string }>
  log(
    `"${term}": ${positions.length} of ${live} live threads in ${cwd} (${(100 * positions.length / live).toFixed(2)}%)`
  )
  for (const p of prepared) {
    p.firstMs.length = 0
    p.afterMs.length = 0
  }
  const random = lcg(seed * 7 + term.length)
  const warmup = 20
  const termStarted = performance.now()
  for (let i = 0; i < warmup + calls; i++) {
    // One call in five is the first page, the rest continue from a random matching row.
    const at = i % 5 === 0 ? undefined : positions[Math.floor(random() * positions.length)]
    // Every query in turn, starting one further along each call and reversing every other call.
    const order = prepared.map((_, k) => prepared[(k + i) % prepared.length]!)
    if (i % 2 === 1) order.reverse()
    const pages = new Map<Prepared, string>()
    for (const p of order) {
      if (i % (p.query.stride ?? 1) !== 0) continue
      const params = p.query.params(term, cwd)
      const t0 = performance.now()
      const rows = at === undefined ? p.first.all(...params) : p.after.all(...params, at.sortMs, at.id)
      const elapsed = performance.now() - t0
      pages.set(p, (rows as Array<Array<unknown>>).map((r) => r[0]).join(","))
      if (i >= warmup) (at === undefined ? p.firstMs : p.afterMs).push(elapsed)
    }
    // Within a group, every page equals the group's first (for searches: the base query's).
    const expected = new Map<string, string>()
    for (const p of prepared) {
      const ids = pages.get(p)
      if (ids === undefined) continue
      const group = p.query.group ?? "search"
      const first = expected.get(group)
      if (first === undefined) expected.set(group, ids)
      else if (ids !== first) {
        throw new Error(
          `"${term}", ${p.query.name}${p.mmap ? " (mmap)" : ""}: page differs from ${group}'s first query's`
        )
      }
    }
  }
  log(`"${term}": ${calls} calls in ${((performance.now() - termStarted) / 1000).toFixed(1)} s`)
  terms.push({
    term,
    matching: positions.length,
    density: positions.length / live,
    rows: prepared.flatMap((p) =>
      ([["first", p.firstMs], ["after", p.afterMs]] as const).map(([page, xs]) => ({
        option: p.option,
        query: p.query.name,
        mmap: p.mmap,
        page,
        n: xs.length,
        p50: percentile(xs, 50),
        p99: percentile(xs, 99)
      }))
    )
  })
}
for (const db of connections) db.close()

// --- writes --------------------------------------------------------------------------------

const columns = THREAD_COLUMNS.join(", ")
/** The projection's upsert (every column set on conflict), with the option's extra columns. */
const upsertSql = (option: SearchOption) => {
  const all = [...THREAD_COLUMNS, ...(option.extraColumns ?? [])]
  return `INSERT INTO threads (${all.join(", ")}) VALUES (${all.map((c) => `@${c}`).join(", ")})
  ON CONFLICT (id) DO UPDATE SET ${all.filter((c) => c !== "id").map((c) => `${c} = excluded.${c}`).join(", ")}`
}

const sample = (() => {
  const db = new Sqlite(baseFile, { readonly: true })
  const total = (db.prepare("SELECT max(rowid) AS n FROM threads").get() as { n: number }).n
  const rows = db.prepare(`SELECT ${columns} FROM threads WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    .all(Math.max(0, Math.floor(total / 2) - writeRows), writeRows) as Array<Record<string, unknown>>
  db.close()
  return rows
})()
/** The same threads a little later: new times and offsets, same texts (what a live append writes). */
const later = (rows: ReadonlyArray<Record<string, unknown>>, rep: number) =>
  rows.map((r) => ({
    ...r,
    updated_at_ms: (r.updated_at_ms as number) + 1000 * (rep + 1),
    projected_offset: (r.projected_offset as number) + 100 * (rep + 1),
    projected_lines: (r.projected_lines as number) + rep + 1,
    file_size: (r.file_size as number) + 100 * (rep + 1)
  }))
/** The same rows under ids no other repetition uses (new threads in a big database). */
const renamed = (rows: ReadonlyArray<Record<string, unknown>>, rep: number) =>
  rows.map((r) => ({ ...r, id: `${r.id as string}-w${rep}`, rollout_path: `${r.rollout_path as string}.w${rep}` }))

/**
 * Upserts `rows` in one transaction. The option's extra columns are computed inside the timing,
 * into row objects given them beforehand (copying a row object costs more than the statement).
 */
const timeUpserts = (
  db: Sqlite.Database,
  option: SearchOption,
  given: ReadonlyArray<Record<string, unknown>>
): number => {
  const upsert = db.prepare(upsertSql(option))
  const extra = option.extraColumns ?? []
  const rows = extra.length === 0
    ? given
    : given.map((r) => ({ ...r, ...Object.fromEntries(extra.map((c) => [c, null])) }))
  const setExtras = option.setExtras
  const t0 = performance.now()
  db.transaction(() => {
    for (const r of rows) {
      setExtras?.(r)
      upsert.run(r)
    }
  }).immediate()
  return performance.now() - t0
}

const template = join(work, "fresh-template.sqlite")
await migratedDatabase(template)
type WriteOp = "fresh insert" | "fresh upsert" | "large insert" | "large upsert"
const writeMs = new Map<string, Array<number>>()
const record = (option: string, op: WriteOp, x: number) => {
  const key = `${option}\u0000${op}`
  writeMs.set(key, [...(writeMs.get(key) ?? []), x])
}
const writeStarted = performance.now()
for (let rep = 0; rep < reps; rep++) {
  const order = built.map((_, k) => built[(k + rep) % built.length]!)
  if (rep % 2 === 1) order.reverse()
  for (const b of order) {
    const fresh = join(work, `fresh-${b.option.name}.sqlite`)
    copyFileSync(template, fresh)
    const db = openWritable(fresh)
    if (b.option.ddl !== "") db.exec(b.option.ddl)
    record(b.option.name, "fresh insert", timeUpserts(db, b.option, sample))
    record(b.option.name, "fresh upsert", timeUpserts(db, b.option, later(sample, rep)))
    db.close()
    rmSync(fresh, { force: true })
    rmSync(`${fresh}-wal`, { force: true })
    rmSync(`${fresh}-shm`, { force: true })
    const big = openWritable(b.file)
    record(b.option.name, "large insert", timeUpserts(big, b.option, renamed(sample, rep)))
    record(b.option.name, "large upsert", timeUpserts(big, b.option, later(sample, rep)))
    big.close()
  }
}
log(`writes: ${reps} repetitions in ${((performance.now() - writeStarted) / 1000).toFixed(1)} s`)
const ops: ReadonlyArray<WriteOp> = ["fresh insert", "fresh upsert", "large insert", "large upsert"]
const writes = built.flatMap((b) =>
  ops.map((op) => {
    const mine = median(writeMs.get(`${b.option.name}\u0000${op}`) ?? [])
    const base = median(writeMs.get(`base\u0000${op}`) ?? [])
    return { option: b.option.name, op, medianMs: mine, baseMs: base, ratio: mine / base, reps }
  })
)

rmSync(work, { recursive: true, force: true })

// --- report --------------------------------------------------------------------------------

const printTable = (head: ReadonlyArray<string>, body: ReadonlyArray<ReadonlyArray<string>>) => {
  const lines = [head, ...body]
  const widths = head.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)))
  for (const l of lines) {
    console.log(l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "))
  }
}

const sizeLabel = threads >= 1e6 ? `${threads / 1e6}M` : `${threads / 1e3}k`
console.log(
  `\nPage of ${PAGE} (+1), cwd ${cwd} (${live} live threads), ${sizeLabel} threads; ms; first page / page after a random cursor`
)
const cell = (t: TermResult, p: Prepared, page: "first" | "after", q: "p50" | "p99") => {
  const r = t.rows.find((r) => r.query === p.query.name && r.mmap === p.mmap && r.page === page)
  return r === undefined || r.n === 0 ? "-" : ms(r[q])
}
printTable(
  [
    "query",
    "mmap",
    ...terms.flatMap((t) => [`${t.term} ${(100 * t.density).toFixed(1)}%: first p50`, "after p50", "after p99"])
  ],
  prepared.map((
    p
  ) => [
    p.query.name,
    p.mmap ? "yes" : "",
    ...terms.flatMap((t) => [cell(t, p, "first", "p50"), cell(t, p, "after", "p50"), cell(t, p, "after", "p99")])
  ])
)
console.log(`\nStructures and writes of ${writeRows} threads (median ms of ${reps}; ratio to base)`)
printTable(
  ["option", "+MB", "file +MB", "build s", ...ops.flatMap((op) => [`${op} ms`, "ratio"])],
  built.map((b) => [
    b.option.name,
    (b.structureBytes / 1e6).toFixed(0),
    ((b.fileBytesAfter - b.fileBytesBefore) / 1e6).toFixed(0),
    b.buildSeconds.toFixed(1),
    ...ops.flatMap((op) => {
      const w = writes.find((w) => w.option === b.option.name && w.op === op)!
      return [ms(w.medianMs), w.ratio.toFixed(2)]
    })
  ])
)

mkdirSync(OUT_DIR, { recursive: true })
writeFileSync(
  join(OUT_DIR, "search-options.json"),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      sqlite: (new Sqlite(":memory:").prepare("SELECT sqlite_version() AS v").get() as { v: string }).v,
      threads,
      seed,
      source,
      sourceBytes: statSync(source).size,
      cwd,
      liveInCwd: live,
      calls,
      reps,
      writeRows,
      seconds: (performance.now() - started) / 1000,
      options: built.map((b) => ({
        name: b.option.name,
        ddl: b.option.ddl,
        buildSeconds: b.buildSeconds,
        structureBytes: b.structureBytes,
        fileBytesBefore: b.fileBytesBefore,
        fileBytesAfter: b.fileBytesAfter,
        queries: b.option.queries.map((q) => ({ name: q.name, first: q.first, after: q.after, plan: plans[q.name] }))
      })),
      reads: terms,
      writes
    },
    null,
    2
  ) + "\n"
)
log(`wrote ${join(OUT_DIR, "search-options.json")} in ${((performance.now() - started) / 1000).toFixed(0)} s`)
