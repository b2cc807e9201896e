/**
 * Reader throughput against a floor: how fast can plain `fs` + `JSON.parse` go through the
 * same home? The selective ("fold") path exists to beat that floor, so it is the reference.
 *
 *   node --import tsx bench/reader.ts [--mb 200] [--files 200] [--dir path] [--keep] [--reps 3] [--seed 1]
 */
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { foldRolloutFile } from "../src/infra/rollout/RolloutFold.js"
import { readRolloutBatches } from "../src/infra/rollout/RolloutReader.js"
import { rolloutFiles } from "./homeFiles.js"

const { values } = parseArgs({
  options: {
    mb: { type: "string", default: "200" },
    files: { type: "string", default: "200" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
    reps: { type: "string", default: "3" },
    seed: { type: "string", default: "1" }
  }
})
const reps = Math.max(3, Number(values.reps) || 3)

// --- corpus ---------------------------------------------------------------------------------

const home = values.dir ?? mkdtempSync(join(tmpdir(), "rollout-bench-"))
if (rolloutFiles(home).length === 0) {
  // A child process, so generation does not count in this process's peak RSS.
  const generator = fileURLToPath(new URL("../test/fixtures/generateHome.ts", import.meta.url))
  execFileSync(process.execPath, [
    "--import",
    "tsx",
    generator,
    "--dir",
    home,
    "--files",
    values.files,
    "--mb",
    values.mb,
    "--seed",
    values.seed
  ], { stdio: "inherit" })
}
const files = rolloutFiles(home)
const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0)

// --- figures: each returns the number of lines it turned into items -----------------------

interface Figure {
  readonly name: string
  readonly run: () => Promise<number>
}

/** The floor: whole file in one read, split on `\n`, `JSON.parse` each line, nothing else. */
const baseline = (): Promise<number> => {
  let lines = 0
  for (const file of files) {
    const buffer = readFileSync(file)
    for (let start = 0, nl = buffer.indexOf(10); nl !== -1; start = nl + 1, nl = buffer.indexOf(10, start)) {
      if (nl > start) {
        JSON.parse(buffer.toString("utf8", start, nl))
        lines++
      }
    }
  }
  return Promise.resolve(lines)
}

const reader = (decode: "full" | "fold") => (): Promise<number> => {
  let items = 0
  for (const file of files) {
    for (const batch of readRolloutBatches(file, { decode })) {
      for (const entry of batch) if (entry._tag === "Item") items++
    }
  }
  return Promise.resolve(items)
}

/** The projection path: read and fold, one file after the other as a backfill does. */
const fold = (): Promise<number> =>
  Effect.runPromise(
    Effect.reduce(files, 0, (items, file) =>
      foldRolloutFile(file, { defaultModelProvider: "openai", decode: "fold" }).pipe(
        Effect.map((result) =>
          items + result.counts.items
        )
      ))
  )

const figures: ReadonlyArray<Figure> = [
  { name: "baseline (fs + JSON.parse)", run: baseline },
  { name: "reader decode=full", run: reader("full") },
  { name: "reader decode=fold", run: reader("fold") },
  { name: "foldRolloutFile decode=fold", run: fold }
]

// --- measure: interleaved, rotating the order each round so no figure always runs first ---

const seconds = figures.map((): Array<number> => [])
const counts = figures.map(() => 0)
for (let rep = 0; rep < reps; rep++) {
  for (let k = 0; k < figures.length; k++) {
    const index = (k + rep) % figures.length
    const started = performance.now()
    counts[index] = await figures[index]!.run()
    seconds[index]!.push((performance.now() - started) / 1000)
  }
}

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const mb = bytes / 1e6
const baseSeconds = median(seconds[0]!)
const results = figures.map((figure, i) => {
  const s = median(seconds[i]!)
  return {
    name: figure.name,
    mbPerSecond: mb / s,
    seconds: s,
    vsBaseline: baseSeconds / s,
    runs: seconds[i]!,
    lines: counts[i]!
  }
})
const peakRssMb = process.resourceUsage().maxRSS / 1024

// --- report --------------------------------------------------------------------------------

console.log(
  `corpus: ${files.length} files, ${mb.toFixed(1)} MB, ${
    counts[0]
  } lines (${home}); median of ${reps} interleaved runs; MB = 10^6 bytes`
)
console.log(`${"figure".padEnd(30)}${"MB/s".padStart(9)}${"seconds".padStart(10)}${"x baseline".padStart(12)}`)
for (const r of results) {
  console.log(
    `${r.name.padEnd(30)}${r.mbPerSecond.toFixed(1).padStart(9)}${r.seconds.toFixed(3).padStart(10)}${
      (r.vsBaseline.toFixed(2) + "x").padStart(12)
    }`
  )
}
console.log(`peak RSS: ${peakRssMb.toFixed(0)} MB`)
// Every figure must have seen the same lines, or the comparison means nothing.
if (new Set(counts).size !== 1) console.warn(`warning: line counts differ between figures: ${counts.join(", ")}`)

const outDir = fileURLToPath(new URL("./out/", import.meta.url))
mkdirSync(outDir, { recursive: true })
writeFileSync(
  join(outDir, "reader.json"),
  JSON.stringify(
    {
      node: process.version,
      corpus: { dir: home, files: files.length, bytes, lines: counts[0] },
      reps,
      figures: results,
      peakRssMb
    },
    null,
    2
  ) + "\n"
)

// Only a corpus this run created in a temp dir is removed.
if (values.dir === undefined && !values.keep) rmSync(home, { recursive: true, force: true })
else console.log(`corpus kept in ${home}`)
