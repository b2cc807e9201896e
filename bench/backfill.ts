/**
 * Backfill throughput against the floor "read every file and JSON.parse every line":
 * files/s, MB/s and peak RSS of a full engine backfill (read, decode, fold, write SQLite)
 * into a fresh database. Each figure runs in its own process, so its peak RSS is its own;
 * figures alternate over the repetitions and the median is reported. The corpus is read once
 * first, so every run finds it in the page cache; with `--cold` it is dropped from the page
 * cache before every run instead, as it is for a home larger than memory.
 *
 *   node --import tsx bench/backfill.ts [--files 2000] [--mb 500] [--dir D] [--keep] [--reps 3] [--cold]
 */
import { Effect, Layer } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import * as Engine from "../src/infra/engine/Engine.js"
import { evictFromPageCache, rolloutFiles } from "./homeFiles.js"

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "2000" },
    mb: { type: "string", default: "500" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
    reps: { type: "string", default: "3" },
    cold: { type: "boolean", default: false },
    figure: { type: "string" }
  }
})

interface Measured {
  readonly seconds: number
  readonly peakRssMb: number
  readonly count: number
}

/** One figure, in this process; prints its measurement as JSON. */
const runFigure = async (figure: string, home: string): Promise<void> => {
  const started = performance.now()
  let count = 0
  if (figure === "baseline") {
    for (const file of rolloutFiles(home)) {
      const buffer = readFileSync(file)
      for (let start = 0, nl = buffer.indexOf(10); nl !== -1; start = nl + 1, nl = buffer.indexOf(10, start)) {
        if (nl > start) {
          JSON.parse(buffer.toString("utf8", start, nl))
          count++
        }
      }
    }
  } else {
    const database = join(mkdtempSync(join(tmpdir(), "backfill-db-")), "state.sqlite")
    const report = await Effect.runPromise(
      Effect.flatMap(Engine.Engine, (engine) => engine.backfill()).pipe(
        // The backfill itself, not the open's (which a slow machine leaves running past its gate).
        Effect.provide(Layer.fresh(Engine.layer({
          home,
          database,
          openBackfill: false,
          // `unindexed`: the engine with the search index off (no message decoded or written).
          ...(figure === "unindexed" ? { messageKinds: [] } : {})
        })))
      )
    )
    if (report.failed > 0 || report.status !== "complete") throw new Error(`backfill: ${JSON.stringify(report)}`)
    count = report.upserted
    rmSync(join(database, ".."), { recursive: true, force: true })
  }
  const measured: Measured = {
    seconds: (performance.now() - started) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    count
  }
  console.log(JSON.stringify(measured))
}

if (values.figure !== undefined) {
  await runFigure(values.figure, values.dir!)
} else {
  const home = values.dir ?? mkdtempSync(join(tmpdir(), "backfill-bench-"))
  if (rolloutFiles(home).length === 0) {
    execFileSync(process.execPath, [
      "--import",
      "tsx",
      fileURLToPath(new URL("../test/fixtures/generateHome.ts", import.meta.url)),
      "--dir",
      home,
      "--files",
      values.files,
      "--mb",
      values.mb
    ], { stdio: "inherit" })
  }
  const files = rolloutFiles(home)
  const mb = files.reduce((sum, f) => sum + statSync(f).size, 0) / 1e6
  const self = fileURLToPath(import.meta.url)
  // Warm means warm: read the corpus once, so no run pays for pages another figure evicted.
  if (!values.cold) { for (const file of files) readFileSync(file) }
  const measure = (figure: string): Measured => {
    if (values.cold) evictFromPageCache(files)
    return JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", self, "--figure", figure, "--dir", home], { encoding: "utf8" })
        .trim()
        .split("\n").pop()!
    ) as Measured
  }
  const figures = ["baseline", "backfill", "unindexed"] as const
  const runs: Record<string, Array<Measured>> = { baseline: [], backfill: [], unindexed: [] }
  const reps = Math.max(1, Number(values.reps))
  for (let rep = 0; rep < reps; rep++) {
    for (const figure of rep % 2 === 0 ? figures : [...figures].reverse()) runs[figure]!.push(measure(figure))
  }
  const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
  const row = (figure: string) => {
    const seconds = median(runs[figure]!.map((m) => m.seconds))
    return {
      figure,
      seconds,
      mbPerSecond: mb / seconds,
      filesPerSecond: files.length / seconds,
      peakRssMb: Math.max(...runs[figure]!.map((m) => m.peakRssMb))
    }
  }
  const baseline = row("baseline")
  const backfill = row("backfill")
  const unindexed = row("unindexed")
  const cache = values.cold ? "cold page cache" : "warm page cache"
  console.log(
    `corpus: ${files.length} files, ${
      mb.toFixed(0)
    } MB (${home}); ${cache}; median of ${reps} runs, figures alternating`
  )
  console.log(
    `${"figure".padEnd(34)}${"s".padStart(8)}${"MB/s".padStart(9)}${"files/s".padStart(10)}${"peak RSS".padStart(10)}${
      "x baseline".padStart(12)
    }`
  )
  const labels: Record<string, string> = {
    baseline: "baseline (read + JSON.parse)",
    backfill: "engine backfill (fresh DB)",
    unindexed: "engine backfill, search index off"
  }
  for (const r of [baseline, backfill, unindexed]) {
    console.log(
      `${labels[r.figure]!.padEnd(34)}${r.seconds.toFixed(2).padStart(8)}${r.mbPerSecond.toFixed(1).padStart(9)}${
        r.filesPerSecond.toFixed(0).padStart(10)
      }${(r.peakRssMb.toFixed(0) + " MB").padStart(10)}${(baseline.seconds / r.seconds).toFixed(2).padStart(11)}x`
    )
  }
  const out = fileURLToPath(new URL("./out/", import.meta.url))
  mkdirSync(out, { recursive: true })
  writeFileSync(
    join(out, values.cold ? "backfill-cold.json" : "backfill.json"),
    JSON.stringify(
      {
        files: files.length,
        mb,
        reps,
        cold: values.cold,
        baseline,
        backfill,
        unindexed,
        ratio: baseline.seconds / backfill.seconds
      },
      null,
      2
    ) + "\n"
  )
  if (values.dir === undefined && !values.keep) rmSync(home, { recursive: true, force: true })
}
