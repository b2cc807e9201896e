/**
 * `watch` latency, write to row: the CLI's `watch --json` (run from source under tsx) follows a
 * home while a writer process (test/fixtures/rolloutWriter.ts) appends 1,000 lines (300 with
 * `--quick`) one at a time; each is timed from the end of its write to the moment the thread's
 * row counts it, read by polling the database every millisecond. Baseline: the poll's own period.
 */
import Sqlite from "better-sqlite3"
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { type Figure, log, percentile, row } from "../harness.js"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const ID = "019c2222-0000-7000-8000-000000000001"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const figure: Figure = {
  id: "watch",
  run: async (sizes) => {
    const appends = sizes.quick ? 300 : 1000
    const dir = mkdtempSync(join(tmpdir(), "bench-watch-"))
    const home = join(dir, "home")
    mkdirSync(join(home, "sessions"), { recursive: true })
    const database = join(home, "state.sqlite")
    const watcher = spawn(process.execPath, [
      "--import",
      "tsx",
      join(ROOT, "src/infra/cli/main.ts"),
      "watch",
      "--home",
      home,
      "--json"
    ], { stdio: ["ignore", "ignore", "pipe"] })
    const writer = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/fixtures/rolloutWriter.ts"), home])
    try {
      let stderr = ""
      watcher.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      while (!stderr.includes("watching")) await sleep(20)
      const answers = createInterface({ input: writer.stdout })[Symbol.asyncIterator]()
      const write = async (command: string) => {
        writer.stdin.write(`${command}\n`)
        return Number(((await answers.next()).value as string).split(" ")[1])
      }
      let db: Sqlite.Database | undefined
      const lines = () => {
        if (db === undefined && existsSync(database)) db = new Sqlite(database, { readonly: true })
        return (db?.prepare("SELECT projected_lines AS n FROM threads WHERE id = ?").get(ID) as
          | { n: number }
          | undefined)
          ?.n
      }
      const until = async (n: number) => {
        while (lines() !== n) await sleep(1)
        return Date.now()
      }
      await write(`create ${ID}`)
      await until(2)
      const latencies: Array<number> = []
      for (let i = 0; i < appends; i++) {
        const at = await write(`append ${ID} line ${i}`)
        latencies.push((await until(3 + i)) - at)
      }
      db?.close()
      const p50 = percentile(latencies, 50)
      const p99 = percentile(latencies, 99)
      log(`watch: ${appends} appends, write to row p50 ${p50} ms, p99 ${p99} ms, max ${Math.max(...latencies)} ms`)
      const note = `${appends} appends by another process, one at a time; polled every 1 ms`
      return [
        row({ figure: "watch latency, write to row, p50", value: p50, unit: "ms", baseline: 1, ratio: null, note }, {
          on: "value",
          op: "<",
          bound: 1000
        }),
        row({ figure: "watch latency, write to row, p99", value: p99, unit: "ms", baseline: 1, ratio: null }, {
          on: "value",
          op: "<",
          bound: 1000
        })
      ]
    } finally {
      writer.kill("SIGKILL")
      watcher.kill("SIGKILL")
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
