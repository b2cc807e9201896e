/**
 * Peak RSS of a CLI `backfill --json` over a home of many empty rollout files (100,000 at
 * full size): what a home's listing and per-file bookkeeping cost, with no line to read.
 * The CLI is built (`tsc -p tsconfig.build.json`) into a scratch folder first and run as
 * users run it: under tsx its transformed sources alone add ~80 MB. Baseline: the same
 * command over an empty home.
 */
import { execFileSync, spawnSync } from "node:child_process"
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Figure, log, OUT_DIR, row } from "../harness.js"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))

/** Builds the package into `dir` as it is installed: dist/, migrations/, package.json. */
const buildCli = (dir: string): { readonly cli: string; readonly preload: string } => {
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"))
  cpSync(join(ROOT, "migrations"), join(dir, "migrations"), { recursive: true })
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"))
  execFileSync(process.execPath, [
    join(ROOT, "node_modules/typescript/bin/tsc"),
    "-p",
    join(ROOT, "tsconfig.build.json"),
    "--outDir",
    join(dir, "dist")
  ], { stdio: ["ignore", "inherit", "inherit"] })
  const preload = join(dir, "peakRss.mjs")
  // The preload as plain JS, so the measured process loads no TypeScript loader.
  writeFileSync(
    preload,
    "import { writeFileSync } from \"node:fs\"\nconst file = process.env.BENCH_PEAK_RSS_FILE\n" +
      "if (file !== undefined) process.on(\"exit\", () => writeFileSync(file, String(process.resourceUsage().maxRSS / 1024)))\n"
  )
  return { cli: join(dir, "dist/src/infra/cli/main.js"), preload }
}

/** `n` zero-byte rollouts over 100 date folders, built once under a temporary name. */
const emptyHome = (n: number): string => {
  const home = join(OUT_DIR, `empty-${n}`)
  if (existsSync(home)) return home
  const building = `${home}.building-${process.pid}`
  const perDay = Math.ceil(n / 100)
  for (let i = 0; i < n; i++) {
    const day = new Date(Date.UTC(2026, 0, 1) + Math.floor(i / perDay) * 86_400_000)
    const [y, m, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()].map((x) =>
      String(x).padStart(2, "0")
    )
    const dir = join(building, "sessions", y!, m!, d!)
    if (i % perDay === 0) mkdirSync(dir, { recursive: true })
    const seconds = i % perDay
    const time = `${String(Math.floor(seconds / 3600)).padStart(2, "0")}-${
      String(Math.floor(seconds / 60) % 60).padStart(2, "0")
    }-${String(seconds % 60).padStart(2, "0")}`
    const id = `019a0000-0000-7000-8000-${String(i).padStart(12, "0")}`
    writeFileSync(join(dir, `rollout-${y}-${m}-${d}T${time}-${id}.jsonl`), "")
  }
  renameSync(building, home)
  return home
}

/** Peak RSS (MB) of `backfill --json` over `home` into a fresh database. */
const backfillPeakRss = (built: { readonly cli: string; readonly preload: string }, home: string): number => {
  const dir = mkdtempSync(join(tmpdir(), "bench-emptyhome-"))
  const rssFile = join(dir, "rss")
  try {
    const child = spawnSync(process.execPath, [
      "--import",
      built.preload,
      built.cli,
      "backfill",
      "--home",
      home,
      "--db",
      join(dir, "state.sqlite"),
      "--json"
    ], { env: { ...process.env, BENCH_PEAK_RSS_FILE: rssFile }, stdio: ["ignore", "ignore", "inherit"] })
    if (child.status !== 0) throw new Error(`backfill exited ${child.status ?? child.signal}`)
    return Number(readFileSync(rssFile, "utf8"))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export const figure: Figure = {
  id: "emptyhome",
  run: (sizes) => {
    const n = sizes.quick ? 10_000 : 100_000
    const home = emptyHome(n)
    const bare = mkdtempSync(join(tmpdir(), "bench-emptyhome-bare-"))
    mkdirSync(join(bare, "sessions"))
    const build = mkdtempSync(join(tmpdir(), "bench-emptyhome-cli-"))
    try {
      const built = buildCli(build)
      const baseline = backfillPeakRss(built, bare)
      const value = backfillPeakRss(built, home)
      log(`emptyhome: ${n} empty files, peak RSS ${value.toFixed(0)} MB (empty home ${baseline.toFixed(0)} MB)`)
      return Promise.resolve([
        row({
          figure: `backfill peak RSS, ${n} empty files (CLI)`,
          value,
          unit: "MB",
          baseline,
          ratio: value / baseline,
          note: "the built CLI's backfill --json into a fresh database; baseline: the same over an empty home"
        }, { on: "value", op: "<", bound: 300 })
      ])
    } finally {
      rmSync(bare, { recursive: true, force: true })
      rmSync(build, { recursive: true, force: true })
    }
  }
}
