/**
 * The command line as operators run it, as whole processes (issue 18): `rollout-state --version`
 * against bare `node -e 0`, and `threads list` on the list figure's database (1M threads at full
 * size) against a process that opens the same file with better-sqlite3 and reads the same page.
 * The CLI is bundled (`scripts/bundle.ts`) into a scratch package first and run through its bin;
 * one run before the timed ones fills its code cache, as any operator's first run does.
 * Interleaved call for call; medians.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { cached, type Figure, log, median, row } from "../harness.js"
import { fillDatabase } from "./list.js"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const PAGE = 25

/** The package as installed: package.json, migrations/, node_modules, dist/cli. */
const buildCli = (dir: string): string => {
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"))
  cpSync(join(ROOT, "migrations"), join(dir, "migrations"), { recursive: true })
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"))
  execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts/bundle.ts"), join(dir, "dist/cli")], {
    stdio: ["ignore", "inherit", "inherit"]
  })
  return join(dir, "dist/cli/bin.cjs")
}

/** Wall milliseconds of one process; a failure fails the figure. */
const wall = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): number => {
  const started = performance.now()
  const child = spawnSync(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] })
  const ms = performance.now() - started
  if (child.status !== 0) {
    throw new Error(`${args.join(" ")} exited ${child.status ?? child.signal}: ${String(child.stderr)}`)
  }
  return ms
}

const interleaved = (reps: number, runs: ReadonlyArray<() => number>): Array<Array<number>> => {
  const times = runs.map(() => [] as Array<number>)
  for (let i = 0; i < reps; i++) {
    // Taking turns going first: neither side always runs on a machine the other just warmed.
    for (let k = 0; k < runs.length; k++) {
      const j = (i + k) % runs.length
      times[j]!.push(runs[j]!())
    }
  }
  return times
}

export const figure: Figure = {
  id: "cli",
  run: async (sizes) => {
    const n = Math.max(...sizes.listThreads)
    const database = await cached(`list-v3-${n}-s${sizes.seed}.sqlite`, (path) => fillDatabase(path, n, sizes.seed))
    const dir = mkdtempSync(join(tmpdir(), "bench-cli-"))
    try {
      mkdirSync(join(dir, "package"))
      const bin = buildCli(join(dir, "package"))
      const home = join(dir, "home")
      mkdirSync(home)
      const env = { ...process.env, ROLLOUT_STATE_CACHE_DIR: join(dir, "cache"), NO_COLOR: "1" }
      const list = [bin, "threads", "list", "--home", home, "--db", database, "--limit", String(PAGE)]
      const cold = wall([bin, "--version"], env)
      wall(list, env)
      const rawList = [
        "-e",
        `const db = new (require("better-sqlite3"))(${JSON.stringify(database)}, { readonly: true });` +
        `const rows = db.prepare("SELECT * FROM threads WHERE archived = 0 ORDER BY created_at_ms DESC, id DESC LIMIT ${PAGE}").all();` +
        `for (const r of rows) console.log(r.created_at_ms, r.id, r.title)`
      ]
      const reps = sizes.quick ? 7 : 21
      const [version, bare, listed, raw] = interleaved(reps, [
        () => wall([bin, "--version"], env),
        () => wall(["-e", "0"], env),
        () => wall(list, env),
        () => wall(rawList, { ...env, NODE_PATH: join(ROOT, "node_modules") })
      ]).map(median)
      log(
        `cli: --version ${version!.toFixed(0)} ms (first run ${cold.toFixed(0)} ms), node -e 0 ${
          bare!.toFixed(0)
        } ms; threads list ${listed!.toFixed(0)} ms, raw ${raw!.toFixed(0)} ms`
      )
      return [
        row({
          figure: "CLI start-up: --version (process)",
          value: version!,
          unit: "ms",
          baseline: bare!,
          ratio: version! / bare!,
          note: `bundled bin, code cache filled by one earlier run (the very first run: ${
            cold.toFixed(0)
          } ms); baseline: node -e 0`
        }, { on: "ratio", op: "<=", bound: 3 }),
        row({
          figure: `CLI threads list, ${n} threads (process)`,
          value: listed!,
          unit: "ms",
          baseline: raw!,
          ratio: listed! / raw!,
          note: "a page of 25 as a table; baseline: node opening the file with better-sqlite3 and printing the page"
        }, { on: "value", op: "<", bound: 400 })
      ]
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
