/**
 * The CLI writes its own log lines (issue 17): after a backfill, `logs` shows its start, its
 * summary and its end; a `--json` run keeps its stdout pure JSON.
 */
import { execFile } from "node:child_process"
import { cpSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { CLI } from "../../fixtures/cli.js"
import { CORPUS_HOME } from "../../fixtures/corpus.js"

const cli = (...args: Array<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
      }
    )
  })

const dirs: Array<string> = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe("the CLI's own log lines", () => {
  it("after a backfill, logs shows the command's start, summary and end; --json output stays JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-log-"))
    dirs.push(dir)
    const home = join(dir, "home")
    cpSync(CORPUS_HOME, home, { recursive: true })
    const backfill = await cli("backfill", "--home", home)
    expect(backfill.code).toBe(0)
    const logs = await cli("logs", "--home", home)
    expect(logs.code).toBe(0)
    const lines = logs.stdout.trimEnd().split("\n")
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z {2}INFO backfill --home .*: started$/)
    expect(lines.some((l) => / {2}INFO backfill complete: 3 files scanned/.test(l))).toBe(true)
    expect(lines[lines.length - 1]).toMatch(/ {2}INFO backfill --home .*: finished in \d+\.\d s$/)

    const json = await cli("backfill", "--home", home, "--json")
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "complete" })
    const warnings = await cli("logs", "--home", home, "--level", "warn", "--json")
    expect(JSON.parse(warnings.stdout)).toEqual({ items: [] })
    const failed = await cli(
      "threads",
      "update",
      "019a9f10-0000-7000-8000-000000000000",
      "--home",
      home,
      "--git-sha",
      "abc"
    )
    expect(failed.code).toBe(2)
    const errors = await cli("logs", "--home", home, "--level", "error")
    expect(errors.stdout).toMatch(/ERROR threads update 019a9f10-0000-7000-8000-000000000000 .*: failed after/)
  }, 120_000)
})
