/**
 * What every bench figure shares: the sizes a run asks for, the row a figure reports,
 * timing statistics, and generated inputs cached under `bench/out/`.
 */
import { Effect, Layer } from "effect"
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Engine from "../src/infra/engine/Engine.js"
import * as Database from "../src/infra/sqlite/Database.js"
import { generateHome, type GenerateSummary } from "../test/fixtures/generateHome.js"

/** Sizes and repetitions of one run; `--quick` shrinks every one of them. */
export interface Sizes {
  readonly quick: boolean
  /** Backfill corpus: files and MB. */
  readonly files: number
  readonly mb: number
  /** Threads of the home used by catch-up, reconcile and verify. */
  readonly threads: number
  /** Thread counts of the catch-up homes (default: `threads`). */
  readonly catchupThreads: ReadonlyArray<number>
  /** Thread counts of the list databases. */
  readonly listThreads: ReadonlyArray<number>
  /** Thread deltas written by the projection figure. */
  readonly projectionThreads: number
  /** Threads of the search figure's database (about 20 messages each; `--quick` uses 2,000). */
  readonly searchThreads: number
  /** Appends timed by the append figure. */
  readonly appends: number
  /** Repetitions of the slow figures (backfill, rebuild, catch-up, reconcile, verify). */
  readonly reps: number
  readonly seed: number
}

/** One line of the result table. `ratio` is value / baseline unless a figure says otherwise. */
export interface Row {
  readonly figure: string
  readonly value: number
  readonly unit: string
  readonly baseline: number | null
  readonly ratio: number | null
  /** How the target reads, e.g. `ratio <= 1.3`. */
  readonly target?: string
  readonly met?: boolean
  readonly note?: string
}

/** A figure: its name for `--only` and what it measures. */
export interface Figure {
  readonly id: string
  readonly run: (sizes: Sizes) => Promise<ReadonlyArray<Row>>
}

export const OUT_DIR = fileURLToPath(new URL("./out/", import.meta.url))

/** A row, with its target checked against the value or the ratio. */
export const row = (
  fields: Omit<Row, "target" | "met">,
  target?: { readonly on: "value" | "ratio"; readonly op: "<" | "<=" | ">="; readonly bound: number }
): Row => {
  if (target === undefined) return fields
  const x = target.on === "value" ? fields.value : fields.ratio
  const met = x !== null &&
    (target.op === "<" ? x < target.bound : target.op === "<=" ? x <= target.bound : x >= target.bound)
  return { ...fields, target: `${target.on} ${target.op} ${target.bound}`, met }
}

export const median = (xs: ReadonlyArray<number>): number => percentile(xs, 50)

/** Nearest-rank percentile. */
export const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  if (xs.length === 0) return Number.NaN
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

export const seconds = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

/**
 * Runs `a` and `b` `reps` times each, alternating which goes first, so drift in the
 * machine's load hits both alike; returns every time of each.
 */
export const alternate = async (
  reps: number,
  a: () => Promise<number>,
  b: () => Promise<number>
): Promise<{ readonly a: Array<number>; readonly b: Array<number> }> => {
  const times = { a: [] as Array<number>, b: [] as Array<number> }
  for (let rep = 0; rep < reps; rep++) {
    if (rep % 2 === 0) {
      times.a.push(await a())
      times.b.push(await b())
    } else {
      times.b.push(await b())
      times.a.push(await a())
    }
  }
  return times
}

/**
 * A cached input under `bench/out/<name>`: built into a temporary sibling and renamed,
 * so an interrupted build never leaves a half-made input that a later run would trust.
 */
export const cached = async (name: string, build: (path: string) => Promise<void>): Promise<string> => {
  const path = join(OUT_DIR, name)
  if (existsSync(path)) return path
  mkdirSync(OUT_DIR, { recursive: true })
  const partial = `${path}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  await build(partial)
  renameSync(partial, path)
  return path
}

/** A generated home (`test/fixtures/generateHome.ts`), cached by its parameters. */
export const generatedHome = (files: number, mb: number, seed: number): Promise<string> =>
  cached(`corpus-f${files}-mb${mb}-s${seed}`, async (dir) => {
    const started = performance.now()
    const summary: GenerateSummary = await generateHome({ dir, files, totalBytes: Math.round(mb * 1e6), seed })
    writeFileSync(join(dir, "summary.json"), JSON.stringify(summary) + "\n")
    log(
      `generated ${summary.files} files, ${(summary.bytes / 1e6).toFixed(0)} MB in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`
    )
  })

/** Home of `threads` threads of about the smallest size the generator makes (~50 KB each). */
export const threadsHome = (threads: number, seed: number): Promise<string> =>
  generatedHome(threads, Math.ceil(threads * 0.012), seed)

/** A migrated database file, created (migrations applied) and closed. */
export const migratedDatabase = (file: string): Promise<void> =>
  Effect.runPromise(Effect.scoped(Layer.build(Database.layer({ file }))).pipe(Effect.asVoid))

/** `SqlClient` over an existing database file, for driving projection services directly. */
export const sqlLayer = (file: string) => Database.layer({ file })

/** Progress on stderr, so a figure's stdout stays free. */
export const log = (message: string): void => {
  process.stderr.write(`  ${message}\n`)
}

/** Runs `use` with an engine over `home` and `database`, opened (migrated, caught up) and closed around it. */
export const withEngine = <A>(
  home: string,
  database: string,
  use: (engine: Engine.Engine) => Effect.Effect<A, unknown>
): Promise<A> =>
  Effect.flatMap(Engine.Engine, use).pipe(
    Effect.provide(Layer.fresh(Engine.layer({ home, database }))),
    Effect.runPromise
  )

/** Seconds an effect takes. */
export const timed = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<readonly [number, A], E, R> =>
  Effect.suspend(() => {
    const started = performance.now()
    return Effect.map(effect, (a) => [(performance.now() - started) / 1000, a] as const)
  })
