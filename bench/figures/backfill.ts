/**
 * Backfill throughput and peak RSS, measured by `bench/backfill.ts` (each figure in a
 * process of its own, alternating) over a cached generated corpus: MB/s of the full engine
 * (read, decode, fold, write SQLite into a fresh database) against "read every file and
 * `JSON.parse` every line".
 */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Figure, generatedHome, log, OUT_DIR, row } from "../harness.js"

interface Measured {
  readonly mbPerSecond: number
  readonly seconds: number
  readonly peakRssMb: number
}

interface BackfillJson {
  readonly files: number
  readonly mb: number
  readonly reps: number
  readonly baseline: Measured
  readonly backfill: Measured
}

export const figure: Figure = {
  id: "backfill",
  run: async (sizes) => {
    const home = await generatedHome(sizes.files, sizes.mb, sizes.seed)
    const script = fileURLToPath(new URL("../backfill.ts", import.meta.url))
    execFileSync(process.execPath, ["--import", "tsx", script, "--dir", home, "--reps", String(sizes.reps)], {
      // Its own table goes to stderr with the other progress; stdout is the suite's table.
      stdio: ["ignore", 2, 2]
    })
    const result = JSON.parse(readFileSync(join(OUT_DIR, "backfill.json"), "utf8")) as BackfillJson
    // bench/backfill.ts writes a fixed path: make sure it is this run's corpus.
    if (result.files !== sizes.files) throw new Error(`bench/out/backfill.json holds ${result.files} files, not ${sizes.files}`)
    const { backfill, baseline } = result
    log(`backfill: ${result.files} files, ${result.mb.toFixed(0)} MB; ${backfill.mbPerSecond.toFixed(1)} MB/s against ${baseline.mbPerSecond.toFixed(1)} MB/s`)
    return [
      row({
        figure: `backfill throughput, ${result.files} files / ${result.mb.toFixed(0)} MB`,
        value: backfill.mbPerSecond,
        unit: "MB/s",
        baseline: baseline.mbPerSecond,
        ratio: backfill.mbPerSecond / baseline.mbPerSecond,
        note: `baseline: read every file and JSON.parse every line; median of ${result.reps}, each in its own process`
      }, { on: "ratio", op: ">=", bound: 1.5 }),
      row({
        figure: "backfill peak RSS",
        value: backfill.peakRssMb,
        unit: "MB",
        baseline: baseline.peakRssMb,
        ratio: backfill.peakRssMb / baseline.peakRssMb
      }, { on: "value", op: "<", bound: 300 })
    ]
  }
}
