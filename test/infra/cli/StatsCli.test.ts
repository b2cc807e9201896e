/**
 * `rollout-state stats` (issue 18): SQL aggregates over the projections, as bar charts and JSON.
 */
import Sqlite from "better-sqlite3"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { CLI } from "../../fixtures/cli.js"

const dir = mkdtempSync(join(tmpdir(), "cli-stats-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const cli = (...args: Array<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: "1" } }, (
      error,
      stdout,
      stderr
    ) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }))
  })

interface Bucket {
  key: string
  threads: number
  tokens: number
}

describe("rollout-state stats (CLI)", () => {
  it(
    "counts threads and tokens per day, model and cwd of the window, equal to a direct count, as JSON and as charts",
    async () => {
      expect((await cli("demo", "--dir", dir)).code).toBe(0)
      const home = join(dir, "home")
      const run = await cli("stats", "--home", home, "--days", "3650", "--json")
      expect(run.code).toBe(0)
      const stats = JSON.parse(run.stdout) as {
        total: { threads: number; tokens: number }
        perDay: Array<Bucket>
        perModel: Array<Bucket>
        perCwd: Array<Bucket>
      }
      const db = new Sqlite(join(home, "state.sqlite"), { readonly: true })
      const expected = db.prepare("SELECT COUNT(*) AS threads, SUM(tokens_used) AS tokens FROM threads").get()
      const perCwd = db.prepare(
        "SELECT COALESCE(NULLIF(cwd, ''), '-') AS key, COUNT(*) AS threads, SUM(tokens_used) AS tokens FROM threads GROUP BY key"
      ).all() as Array<Bucket>
      db.close()
      expect(stats.total).toEqual(expected)
      expect(stats.total.threads).toBeGreaterThan(5)
      for (const buckets of [stats.perDay, stats.perModel, stats.perCwd]) {
        expect(buckets.reduce((sum, b) => sum + b.threads, 0)).toBe(stats.total.threads)
      }
      expect([...stats.perCwd].sort((a, b) => a.key.localeCompare(b.key))).toEqual(
        perCwd.sort((a, b) => a.key.localeCompare(b.key))
      )
      expect(stats.perDay.map((b) => b.key)).toEqual([...stats.perDay.map((b) => b.key)].sort())

      const text = await cli("stats", "--home", home, "--days", "3650")
      expect(text.stdout).toContain("tokens per day (UTC)")
      expect(text.stdout).toContain("tokens per model")
      expect(text.stdout).toContain("█")
      expect(text.stdout).not.toContain("\x1b")

      const none = await cli("stats", "--home", home, "--days", "0")
      expect([none.code, none.stderr]).toEqual([2, expect.stringContaining("--days: 0 is not between 1 and 3650")])
    },
    120_000
  )
})
