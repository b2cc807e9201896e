/**
 * `rollout-state watch` (issue 18) against a writer process (test/fixtures/rolloutWriter.ts)
 * that creates, appends to (whole and torn lines), archives and deletes rollouts while it runs.
 */
import Sqlite from "better-sqlite3"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { afterAll, describe, expect, it } from "vitest"
import { CLI } from "../../fixtures/cli.js"

const WRITER = join(import.meta.dirname, "../../fixtures/rolloutWriter.ts")
const A = "019c1111-0000-7000-8000-00000000000a"
const B = "019c1111-0000-7000-8000-00000000000b"

const dir = mkdtempSync(join(tmpdir(), "cli-watch-"))
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
  rmSync(dir, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` every 5 ms until it holds; the ms it took, or a failure after `timeoutMs`. */
const until = async (check: () => boolean, timeoutMs: number): Promise<number> => {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    await sleep(5)
  }
  return Date.now()
}

describe("rollout-state watch (CLI)", () => {
  it(
    "projects new files, appended lines (a torn one once whole), archives and deletions made by another process, and stops on SIGINT with 130",
    async () => {
      const home = join(dir, "home")
      mkdirSync(join(home, "sessions"), { recursive: true })
      const database = join(home, "state.sqlite")
      const watcher = spawn(process.execPath, [CLI, "watch", "--home", home, "--json"], {
        env: { ...process.env, NO_COLOR: "1" }
      })
      children.push(watcher)
      let stderr = ""
      watcher.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      const changes: Array<{ updated: number; added: number; missingFiles: Array<string> }> = []
      createInterface({ input: watcher.stdout }).on("line", (l) => changes.push(JSON.parse(l) as never))
      await until(() => stderr.includes("watching"), 60_000)

      const writer = spawn(process.execPath, ["--import", "tsx", WRITER, home])
      children.push(writer)
      const answers = createInterface({ input: writer.stdout })[Symbol.asyncIterator]()
      const write = async (command: string): Promise<number> => {
        writer.stdin.write(`${command}\n`)
        const answer = await answers.next()
        return Number((answer.value as string).split(" ")[1])
      }
      let db: Sqlite.Database | undefined
      const row = (id: string) => {
        if (db === undefined && existsSync(database)) db = new Sqlite(database, { readonly: true })
        return db?.prepare("SELECT projected_lines AS lines, archived FROM threads WHERE id = ?").get(id) as
          | { lines: number; archived: number }
          | undefined
      }

      const latencies: Array<number> = []
      const created = await write(`create ${A}`)
      latencies.push(await until(() => row(A)?.lines === 2, 10_000) - created)
      await until(() => changes.some((c) => c.added === 1), 5000)
      for (let i = 0; i < 40; i++) {
        const at = await write(`append ${A} line ${i}`)
        latencies.push(await until(() => row(A)?.lines === 3 + i, 10_000) - at)
      }

      // A torn last line waits for its newline.
      await write(`torn ${A} half a line`)
      await sleep(1500)
      expect(row(A)?.lines).toBe(42)
      const finished = await write(`finish ${A}`)
      latencies.push(await until(() => row(A)?.lines === 43, 10_000) - finished)

      // Archived under it: the row follows the file.
      const archived = await write(`archive ${A}`)
      latencies.push(await until(() => row(A)?.archived === 1, 10_000) - archived)
      await write(`append ${A} after the move`)
      await until(() => row(A)?.lines === 44, 10_000)

      // Deleted under it: reported, and watch carries on with the others.
      await write(`create ${B}`)
      await until(() => row(B)?.lines === 2, 10_000)
      await write(`delete ${B}`)
      await until(() => changes.some((c) => c.missingFiles.some((p) => p.includes(B))), 10_000)
      const after = await write(`append ${A} after the deletion`)
      latencies.push(await until(() => row(A)?.lines === 45, 10_000) - after)
      db?.close()

      const sorted = [...latencies].sort((a, b) => a - b)
      console.log(
        `watch latency, write to row: p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`
      )
      writer.stdin.end()

      const exit = new Promise<number | null>((resolve) => watcher.on("exit", (code) => resolve(code)))
      watcher.kill("SIGINT")
      expect(await exit).toBe(130)
      expect(stderr).toContain("watch stopped by SIGINT")
    },
    240_000
  )
})
