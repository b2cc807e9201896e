/**
 * Full-text search (issue 19) over a generated home of `--search-threads` threads (100,000 at
 * full size, ~20 messages each: 2M messages; 2,000 with `--quick`): the index's size against the
 * text it indexes, and `Engine.searchThreads` latency (first page of 25, ranked, with snippets)
 * for a common word, a word of about 1% of messages, a rare word and a phrase (the engine's
 * default scoring budget: the newest matches when there are more), each against the bare FTS5
 * query of the same words over every match (`MATCH … ORDER BY rank LIMIT 25`, messages not
 * grouped into threads, no snippet) through a raw better-sqlite3 statement, interleaved call
 * for call.
 * The database is filled with raw inserts (the thread rows of the list figure, then messages
 * whose words follow a Zipf law over a 5,000-word vocabulary) and cached in `bench/out/`.
 */
import Sqlite from "better-sqlite3"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ftsQueryOf } from "../../src/domain/SearchQuery.js"
import * as Engine from "../../src/infra/engine/Engine.js"
import { cached, type Figure, generatedHome, log, percentile, type Row, row } from "../harness.js"
import { fillDatabase, rng } from "./list.js"

const MESSAGES_PER_THREAD = 20
const VOCABULARY = 5000
/** Real words first (the most frequent ranks), then made-up ones. */
const HEAD = "the to a of and in is it that for fix test this with on be file not are we run".split(" ")
const PHRASE = "flaky login"
/** Planted in 0.2% of messages (its words are also in the vocabulary on their own). */
const PHRASE_SHARE = 0.002
const RARE = "quokka"
/** Planted in 50 messages, whatever their number. */
const RARE_MESSAGES = 50

const SYLLABLES = "ka lo mi nu pe ra si to vu we xa yo zi bo ce da fe gi ho ju".split(" ")

const vocabulary = (): Array<string> => {
  const words = [...HEAD, "flaky", "login"]
  for (let i = 0; words.length < VOCABULARY; i++) {
    let n = i
    let word = ""
    do {
      word += SYLLABLES[n % SYLLABLES.length]
      n = Math.floor(n / SYLLABLES.length)
    } while (n > 0)
    words.push(`${word}${i % 7 === 0 ? "ing" : ""}`)
  }
  return words
}

/** A word sampler for Zipf's law (s = 1) by a 64k-entry quantile table. */
const zipf = (random: () => number, words: ReadonlyArray<string>) => {
  const weights = words.map((_, r) => 1 / (r + 1))
  const total = weights.reduce((a, b) => a + b, 0)
  const table: Array<string> = []
  let cumulative = 0
  let r = 0
  for (let i = 0; i < 65536; i++) {
    while (r < words.length - 1 && (cumulative + weights[r]!) / total < (i + 0.5) / 65536) cumulative += weights[r++]!
    table.push(words[r]!)
  }
  return () => table[Math.floor(random() * 65536)]!
}

const fillMessages = (file: string, seed: number): void => {
  const random = rng(seed + 1)
  const word = zipf(random, vocabulary())
  const db = new Sqlite(file)
  db.pragma("journal_mode = DELETE")
  db.pragma("synchronous = OFF")
  const ids = db.prepare("SELECT id FROM threads ORDER BY id").pluck().all() as Array<string>
  const insert = db.prepare(
    "INSERT INTO thread_messages (thread_id, position, turn_index, kind, text) VALUES (?, ?, ?, ?, ?)"
  )
  const kinds = ["user", "agent", "response"] as const
  const rareEvery = Math.max(1, Math.floor((ids.length * MESSAGES_PER_THREAD) / RARE_MESSAGES))
  let written = 0
  for (let start = 0; start < ids.length; start += 5000) {
    db.transaction(() => {
      for (const id of ids.slice(start, start + 5000)) {
        for (let m = 0; m < MESSAGES_PER_THREAD; m++) {
          const words = Array.from({ length: 6 + Math.floor(random() * 30) }, word)
          if (random() < PHRASE_SHARE) words.splice(Math.floor(random() * words.length), 0, PHRASE)
          if (written++ % rareEvery === 0) words.push(RARE)
          insert.run(id, 10 + 3 * m, Math.floor(m / 4), kinds[m % 3], words.join(" "))
        }
      }
    })()
  }
  db.exec("INSERT INTO thread_messages_fts (thread_messages_fts) VALUES ('optimize')")
  db.pragma("optimize")
  db.close()
}

/** Bytes of the index (the pages of the FTS5 shadow tables, `dbstat`) and of the text it indexes. */
const sizes = (db: Sqlite.Database) => {
  const index = db.prepare("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'thread_messages_fts_%'").pluck()
    .get() as number
  const text = db.prepare("SELECT SUM(length(CAST(text AS BLOB))) FROM thread_messages").pluck().get() as number
  return { index, text }
}

/** The index's size on a backfilled generated home: its messages are the generator's prose. */
const generatedHomeSize = async (files: number, mb: number, seed: number): Promise<Row> => {
  const home = await generatedHome(files, mb, seed)
  const dir = mkdtempSync(join(tmpdir(), "bench-search-size-"))
  try {
    const file = join(dir, "state.sqlite")
    // The backfill itself, to its end (the open's would stop at its gate when the engine closes).
    await Effect.flatMap(Engine.Engine, (engine) => engine.backfill()).pipe(
      Effect.provide(Layer.fresh(Engine.layer({ home, database: file, openBackfill: false }))),
      Effect.runPromise
    )
    const db = new Sqlite(file, { readonly: true })
    const { index, text } = sizes(db)
    const messages = db.prepare("SELECT COUNT(*) FROM thread_messages").pluck().get() as number
    db.close()
    return row({
      figure: `search index size, generated home of ${files} files (${messages} messages)`,
      value: index / 1e6,
      unit: "MB",
      baseline: text / 1e6,
      ratio: index / text,
      note: "pages of the FTS5 shadow tables (dbstat) against the UTF-8 bytes of the indexed text, after a backfill"
    }, { on: "ratio", op: "<=", bound: 0.35 })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface Query {
  readonly name: string
  readonly query: string
}

export const figure: Figure = {
  id: "search",
  run: async (sizesOf) => {
    const threads = sizesOf.quick ? 2000 : sizesOf.searchThreads
    const file = await cached(`search-${threads}-s${sizesOf.seed}-v1.sqlite`, async (path) => {
      const started = performance.now()
      await fillDatabase(path, threads, sizesOf.seed)
      fillMessages(path, sizesOf.seed)
      log(
        `filled ${threads} threads, ${threads * MESSAGES_PER_THREAD} messages in ${
          ((performance.now() - started) / 1000).toFixed(0)
        } s`
      )
    })
    const raw = new Sqlite(file, { readonly: true })
    const messages = raw.prepare("SELECT COUNT(*) FROM thread_messages").pluck().get() as number
    // One scan of the vocabulary: an fts5vocab table reads every term even for `term = ?`.
    const docs = new Map(
      raw.prepare("SELECT term, doc FROM thread_messages_terms").raw().all() as Array<[string, number]>
    )
    const share = (term: string) => (docs.get(term) ?? 0) / messages
    const { index, text } = sizes(raw)
    const out: Array<Row> = [
      await generatedHomeSize(sizesOf.files, sizesOf.mb, sizesOf.seed),
      row({
        figure: `search index size, ${threads} threads / ${messages} messages of Zipf words`,
        value: index / 1e6,
        unit: "MB",
        baseline: text / 1e6,
        ratio: index / text,
        note: "made-up words of 4-6 letters: more terms per byte than prose, so a larger index per byte (reported)"
      })
    ]
    // A word of about 1% of messages: the vocabulary word whose share is nearest.
    const words = vocabulary()
    const middle = words.reduce((best, w) => Math.abs(share(w) - 0.01) < Math.abs(share(best) - 0.01) ? w : best)
    const queries: ReadonlyArray<Query> = [
      { name: `common word "test" (${(100 * share("test")).toFixed(0)}% of messages)`, query: "test" },
      { name: `word "${middle}" (${(100 * share(middle)).toFixed(1)}%)`, query: middle },
      { name: `rare word "${RARE}" (${Math.round(share(RARE) * messages)} messages)`, query: RARE },
      { name: `phrase "${PHRASE}"`, query: `"${PHRASE}"` }
    ]
    const bare = raw.prepare(
      "SELECT rowid FROM thread_messages_fts WHERE thread_messages_fts MATCH ? ORDER BY rank LIMIT 25"
    )
    const calls = sizesOf.quick ? 30 : 200
    const home = mkdtempSync(join(tmpdir(), "bench-search-"))
    try {
      // Read-only, as the list figure: the rows stand for a home whose files are not here.
      await Effect.gen(function*() {
        const engine = yield* Engine.Engine
        for (const { name, query } of queries) {
          const { match } = Effect.runSync(ftsQueryOf(query))
          const engineMs: Array<number> = []
          const bareMs: Array<number> = []
          let exhaustive = true
          for (let i = 0; i < calls + 3; i++) {
            const runBare = () => {
              const started = performance.now()
              bare.all(match)
              return performance.now() - started
            }
            const bareFirst = i % 2 === 1 ? runBare() : undefined
            const started = performance.now()
            const page = yield* engine.searchThreads({ query, limit: 25 })
            const ms = performance.now() - started
            const direct = bareFirst ?? runBare()
            if (page.items.length === 0) throw new Error(`search ${query}: nothing found`)
            exhaustive = page.exhaustive
            if (i >= 3) {
              engineMs.push(ms)
              bareMs.push(direct)
            }
          }
          const [e50, b50, e99, b99] = [
            percentile(engineMs, 50),
            percentile(bareMs, 50),
            percentile(engineMs, 99),
            percentile(bareMs, 99)
          ]
          log(`search ${name}: p50 ${e50.toFixed(1)} ms (bare ${b50.toFixed(1)}), p99 ${e99.toFixed(1)} ms`)
          const ranked = exhaustive ? "every match ranked" : "more matches than the scoring budget: the newest ranked"
          out.push(
            row({
              figure: `search ${threads} threads, ${name}, p50`,
              value: e50,
              unit: "ms",
              baseline: b50,
              ratio: e50 / b50,
              note: ranked
            }, {
              on: "value",
              op: "<",
              bound: 20
            }),
            row({
              figure: `search ${threads} threads, ${name}, p99`,
              value: e99,
              unit: "ms",
              baseline: b99,
              ratio: e99 / b99
            }, {
              on: "value",
              op: "<",
              bound: 60
            })
          )
        }
      }).pipe(Effect.provide(Layer.fresh(Engine.layer({ home, database: file, readonly: true }))), Effect.runPromise)
    } finally {
      raw.close()
      rmSync(home, { recursive: true, force: true })
    }
    return out
  }
}
