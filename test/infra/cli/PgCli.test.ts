/**
 * The CLI on PostgreSQL (issue 20): `--db postgres://…` or `ROLLOUT_STATE_DB`, `--host-id` or
 * `ROLLOUT_STATE_HOST_ID`; a server that does not answer is exit 2 with a message naming it
 * (never its password).
 */
import { execFile } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { CLI } from "../../fixtures/cli.js"
import { CORPUS_HOME } from "../../fixtures/corpus.js"
import { PG_URL } from "../../fixtures/dialects.js"

const dir = mkdtempSync(join(tmpdir(), "cli-pg-"))
const schema = `cli_${process.pid}`
const url = `${PG_URL}?schema=${schema}`

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: "1", ...env } }, (
      error,
      stdout,
      stderr
    ) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }))
  })

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await new Promise((resolve) =>
    execFile("psql", [PG_URL, "-qc", `DROP SCHEMA IF EXISTS ${schema} CASCADE`], () => resolve(undefined))
  )
})

describe("rollout-state on PostgreSQL (CLI)", () => {
  it("backfills, lists and verifies through --db and --host-id, or their environment variables", async () => {
    const home = join(dir, "home")
    cpSync(CORPUS_HOME, home, { recursive: true })
    // The password (trust auth ignores it) never reaches the logs table with the command line.
    const parsed = new URL(url)
    parsed.password = "pw-s3cret"
    const withPassword = parsed.toString()
    const backfill = await cli(["backfill", "--home", home, `--db=${withPassword}`, "--host-id", "cli-host", "--json"])
    expect(backfill.stderr).toBe("")
    expect(backfill.code).toBe(0)
    expect(JSON.parse(backfill.stdout)).toMatchObject({ status: "complete", failed: 0, upserted: 3 })
    const env = { ROLLOUT_STATE_DB: url, ROLLOUT_STATE_HOST_ID: "cli-host" }
    const listed = await cli(["threads", "list", "--home", home, "--archived", "all", "--json"], env)
    expect(listed.code).toBe(0)
    expect((JSON.parse(listed.stdout) as { items: Array<unknown> }).items).toHaveLength(3)
    const verify = await cli(["verify", "--home", home, "--json"], env)
    expect(verify.code).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true })
    // Another host, of an empty home: none of these threads is its own, so verify compares none.
    const empty = join(dir, "empty")
    mkdirSync(empty)
    const other = await cli(["verify", "--home", empty, "--host-id", "other-host", "--json"], { ROLLOUT_STATE_DB: url })
    expect(other.code).toBe(0)
    const otherReport = JSON.parse(other.stdout) as { ok: boolean; tables: Array<{ table: string }> }
    expect(otherReport.ok).toBe(true)
    expect(otherReport.tables.find((t) => t.table === "threads")).toEqual({
      table: "threads",
      liveRows: 0,
      rebuiltRows: 0
    })
    const everyone = await cli(["threads", "list", "--home", empty, "--archived", "all", "--json"], {
      ROLLOUT_STATE_DB: url,
      ROLLOUT_STATE_HOST_ID: "other-host"
    })
    expect((JSON.parse(everyone.stdout) as { items: Array<unknown> }).items).toHaveLength(3)
    // The stores' commands open the same database; the command log went to its logs table.
    for (const command of [["goals", "list"], ["memories", "status"], ["stats"]]) {
      const run = await cli([...command, "--home", home, "--json"], env)
      expect([command.join(" "), run.code, run.stderr]).toEqual([command.join(" "), 0, ""])
    }
    const logs = await cli(["logs", "--home", home, "--json", "--limit", "500"], env)
    expect(logs.code).toBe(0)
    expect(logs.stdout).not.toContain("pw-s3cret")
    expect(logs.stdout).toMatch(/backfill --home [^"]* --host-id cli-host --json: finished/)
  }, 120_000)

  it("a server that does not answer is exit 2, the message naming the URL without its password", async () => {
    const home = join(dir, "unreachable")
    cpSync(CORPUS_HOME, home, { recursive: true })
    const run = await cli([
      "threads",
      "list",
      "--home",
      home,
      "--db",
      "postgres://someone:s3cret@127.0.0.1:1/nowhere?schema=x",
      "--host-id",
      "h"
    ])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("postgres://someone@127.0.0.1:1/nowhere (schema x): open: cannot connect")
    expect(run.stderr).not.toContain("s3cret")
  }, 60_000)

  it("a bad --host-id is exit 2 naming it", async () => {
    const run = await cli(["threads", "list", "--home", CORPUS_HOME, "--db", url, "--host-id", "a/b"])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`--host-id: "a/b" contains a /`)
  }, 60_000)
})
