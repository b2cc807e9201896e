/**
 * Backfill throughput and peak RSS, measured by `bench/backfill.ts` (each figure in a
 * process of its own, alternating) over a cached generated corpus: MB/s of the full engine
 * (read, decode, fold, write SQLite into a fresh database) against "read every file and
 * `JSON.parse` every line", once with the corpus in the page cache and once with it dropped
 * before every run (a home larger than memory, as an operator's tens of GB are).
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
  readonly unindexed: Measured
}

const measure = (home: string, reps: number, cold: boolean): BackfillJson => {
  const script = fileURLToPath(new URL("../backfill.ts", import.meta.url))
  execFileSync(process.execPath, [
    "--import",
    "tsx",
    script,
    "--dir",
    home,
    "--reps",
    String(reps),
    ...(cold ? ["--cold"] : [])
  ], {
    // Its own table goes to stderr with the other progress; stdout is the suite's table.
    stdio: ["ignore", 2, 2]
  })
  return JSON.parse(readFileSync(join(OUT_DIR, cold ? "backfill-cold.json" : "backfill.json"), "utf8")) as BackfillJson
}

export const figure: Figure = {
  id: "backfill",
  run: async (sizes) => {
    const home = await generatedHome(sizes.files, sizes.mb, sizes.seed)
    const rows = []
    let peakRss: { engine: number; baseline: number } = { engine: 0, baseline: 0 }
    for (const cold of [false, true]) {
      const result = measure(home, sizes.reps, cold)
      // bench/backfill.ts writes a fixed path: make sure it is this run's corpus.
      if (result.files !== sizes.files) {
        throw new Error(`bench/backfill.ts measured ${result.files} files, not ${sizes.files}`)
      }
      const { backfill, baseline, unindexed } = result
      const cache = cold ? "cold page cache" : "warm page cache"
      log(
        `backfill, ${cache}: ${result.files} files, ${result.mb.toFixed(0)} MB; ${
          backfill.mbPerSecond.toFixed(1)
        } MB/s against ${baseline.mbPerSecond.toFixed(1)} MB/s`
      )
      rows.push(row({
        figure: `backfill throughput, ${result.files} files / ${result.mb.toFixed(0)} MB, ${cache}`,
        value: backfill.mbPerSecond,
        unit: "MB/s",
        baseline: baseline.mbPerSecond,
        ratio: backfill.mbPerSecond / baseline.mbPerSecond,
        note:
          `baseline: read every file and JSON.parse every line (one thread; the engine folds on two); median of ${result.reps}, each in its own process${
            cold ? ", the corpus dropped from the page cache before each" : ""
          }`
      }, { on: "ratio", op: ">=", bound: 1.5 }))
      rows.push(row({
        figure: `backfill throughput, search index on, ${cache}`,
        value: backfill.mbPerSecond,
        unit: "MB/s",
        baseline: unindexed.mbPerSecond,
        ratio: backfill.mbPerSecond / unindexed.mbPerSecond,
        note: "baseline: the same engine with messageKinds [] (no message decoded or indexed)"
      }))
      peakRss = {
        engine: Math.max(peakRss.engine, backfill.peakRssMb),
        baseline: Math.max(peakRss.baseline, baseline.peakRssMb)
      }
    }
    rows.push(row({
      figure: "backfill peak RSS",
      value: peakRss.engine,
      unit: "MB",
      baseline: peakRss.baseline,
      ratio: peakRss.engine / peakRss.baseline
    }, { on: "value", op: "<", bound: 300 }))
    return rows
  }
}
