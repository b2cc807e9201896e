/**
 * The bench suite (`npm run bench`): every figure in a process of its own, one table, and
 * `bench/out/bench.json`. Each figure is a ratio against a baseline measured in the same
 * run, because the machine is shared and absolute times alone mean little.
 *
 *   npm run bench [-- --quick] [--only backfill,projection,append,catchup,list,reconcile,emptyhome,cli,watch,logs,search,pg]
 *     [--files 2000] [--mb 1024] [--threads 10000] [--catchup-threads 10000,100000] [--list-threads 100000,1000000]
 *     [--projection-threads 10000] [--appends 2000] [--search-threads 100000] [--reps 3] [--seed 1]
 *
 * A missed target is reported, never fatal; a figure that crashes fails the run.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import type { Figure, Row, Sizes } from "./harness.js"
import { OUT_DIR } from "./harness.js"

/** Figure modules, in run order: `bench/figures/<id>.ts`, and the logger figures of `bench/logs.ts`. */
const FIGURES: ReadonlyArray<string> = [
  "projection",
  "append",
  "list",
  "catchup",
  "reconcile",
  "backfill",
  "emptyhome",
  "cli",
  "watch",
  "logs",
  "search",
  "pg"
]

const loadFigure = async (id: string): Promise<Figure> =>
  ((await import(id === "logs" ? "./logs.js" : `./figures/${id}.js`)) as { readonly figure: Figure }).figure

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    files: { type: "string" },
    mb: { type: "string" },
    threads: { type: "string" },
    "list-threads": { type: "string" },
    "catchup-threads": { type: "string" },
    "projection-threads": { type: "string" },
    appends: { type: "string" },
    "search-threads": { type: "string" },
    reps: { type: "string" },
    seed: { type: "string", default: "1" },
    // Internal: run one figure in this process and write its rows to `--result`.
    child: { type: "string" },
    sizes: { type: "string" },
    result: { type: "string" }
  }
})

if (values.child !== undefined) {
  const figure = await loadFigure(values.child)
  const rows = await figure.run(JSON.parse(values.sizes!) as Sizes)
  writeFileSync(values.result!, JSON.stringify(rows))
  process.exit(0)
}

const quick = values.quick
const int = (flag: string | undefined, full: number, small: number): number => {
  const n = flag === undefined ? (quick ? small : full) : Number(flag)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`not a positive integer: ${flag}`)
  return n
}
const sizes: Sizes = {
  quick,
  files: int(values.files, 2000, 200),
  mb: int(values.mb, 1024, 50),
  threads: int(values.threads, 10_000, 1000),
  listThreads: (values["list-threads"] ?? (quick ? "20000" : "100000,1000000")).split(",").map((n) => int(n, 0, 0)),
  catchupThreads: values["catchup-threads"]?.split(",").map((n) => int(n, 0, 0)) ?? [int(values.threads, 10_000, 1000)],
  projectionThreads: int(values["projection-threads"], 10_000, 2000),
  appends: int(values.appends, 2000, 300),
  searchThreads: int(values["search-threads"], 100_000, 2000),
  reps: int(values.reps, 3, 1),
  seed: int(values.seed, 1, 1)
}
const selected = values.only === undefined ? FIGURES : values.only.split(",").map((s) => s.trim())
const unknown = selected.filter((id) => !FIGURES.includes(id))
if (unknown.length > 0) {
  console.error(`unknown figure(s): ${unknown.join(", ")}; known: ${FIGURES.join(", ")}`)
  process.exit(2)
}

mkdirSync(OUT_DIR, { recursive: true })
const self = fileURLToPath(import.meta.url)
const rows: Array<Row> = []
const crashed: Array<string> = []
const timings: Record<string, number> = {}
const started = performance.now()
for (const id of selected) {
  console.error(`[${id}]`)
  const result = join(OUT_DIR, `.figure-${id}-${process.pid}.json`)
  const begun = performance.now()
  // A process per figure: its peak RSS, heap and JIT state are its own.
  const child = spawnSync(process.execPath, [
    "--import",
    "tsx",
    self,
    "--child",
    id,
    "--sizes",
    JSON.stringify(sizes),
    "--result",
    result
  ], { stdio: ["ignore", "inherit", "inherit"] })
  timings[id] = (performance.now() - begun) / 1000
  if (child.status !== 0 || !existsSync(result)) {
    crashed.push(id)
    console.error(`[${id}] crashed (exit ${child.status ?? child.signal})`)
    continue
  }
  rows.push(...(JSON.parse(readFileSync(result, "utf8")) as Array<Row>))
  rmSync(result, { force: true })
}
const wallSeconds = (performance.now() - started) / 1000

// --- report -------------------------------------------------------------------------------

const fmt = (x: number | null | undefined): string => {
  if (x === null || x === undefined || Number.isNaN(x)) return "-"
  const a = Math.abs(x)
  return a >= 1000 ? x.toFixed(0) : a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3)
}
const table = [
  ["figure", "value", "unit", "baseline", "ratio", "target", "met?"],
  ...rows.map((
    r
  ) => [
    r.figure,
    fmt(r.value),
    r.unit,
    fmt(r.baseline),
    fmt(r.ratio),
    r.target ?? "",
    r.met === undefined ? "" : r.met ? "yes" : "NO"
  ])
]
const widths = table[0]!.map((_, c) => Math.max(...table.map((line) => line[c]!.length)))
const numeric = new Set([1, 3, 4])
for (const line of table) {
  console.log(
    line.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd()
  )
}
for (const r of rows.filter((r) => r.note !== undefined)) console.log(`  ${r.figure}: ${r.note}`)
const missed = rows.filter((r) => r.met === false).length
console.log(
  `${rows.length} rows, ${missed} target(s) missed, ${crashed.length} figure(s) crashed; ${wallSeconds.toFixed(1)} s`
)

writeFileSync(
  join(OUT_DIR, "bench.json"),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      quick,
      sizes,
      seconds: { total: wallSeconds, ...timings },
      crashed,
      rows
    },
    null,
    2
  ) + "\n"
)

process.exit(crashed.length > 0 ? 1 : 0)
