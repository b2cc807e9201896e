/**
 * The command line's conventions (issue 18), through the bundled bin as `npm pack` ships it
 * (test/setup/cliBundle.ts): one test per convention.
 */
import { execFile } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CLI } from "../../fixtures/cli.js"

let dir = ""
let home = ""
let threadId = ""

const cli = (...args: Array<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
      }
    )
  })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cli-conventions-"))
  const demo = await cli("demo", "--dir", join(dir, "demo"), "--json")
  expect(demo.code).toBe(0)
  home = join(dir, "demo", "home")
  threadId = (JSON.parse(demo.stdout) as { items: Array<{ id: string }> }).items[0]!.id
}, 120_000)

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true })
})

describe("rollout-state conventions (bundled CLI)", () => {
  it("accepts --home, --db and --json before or after the subcommand, with the same output", async () => {
    const db = join(home, "state.sqlite")
    const after = await cli("threads", "list", "--home", home, "--db", db, "--json")
    const before = await cli("--home", home, "--json", "threads", "--db", db, "list")
    expect(after.code).toBe(0)
    expect(before).toEqual(after)
    expect(JSON.parse(after.stdout)).toHaveProperty("items")
  })

  it("help names the whole command, shows every default, brackets optional flags and has no boilerplate", async () => {
    const help = await cli("threads", "list", "--help")
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("usage: rollout-state threads list [--home DIR]")
    expect(help.stdout).toMatch(/--sort created\|updated .*\(default: created\)/)
    expect(help.stdout).toMatch(/--direction desc\|asc .*\(default: desc\)/)
    expect(help.stdout).toMatch(/--limit N .*\(default: 25\)/)
    expect(help.stdout).toContain("[--cwd CWD…]")
    expect(help.stdout).toContain("[--source-kind SOURCE-KIND…]")
    for (
      const boilerplate of ["A user-defined piece of text", "This setting is optional", "--completions", "--wizard"]
    ) {
      expect(help.stdout).not.toContain(boilerplate)
    }
    const root = await cli("--help")
    expect(root.stdout).toContain("rollout-state — ")
    expect(root.stdout).toMatch(/^ {2}threads +read and change threads$/m)
  })

  it("prints no ANSI escape when stdout is not a terminal", async () => {
    for (const args of [["--help"], ["threads", "list", "--help"], ["threads", "list", "--home", home], ["nope"]]) {
      const run = await cli(...args)
      expect(`${run.stdout}${run.stderr}`).not.toContain("\x1b")
    }
  })

  it("a usage error names the option and exits 2", async () => {
    const run = await cli("threads", "list", "--home", home, "--limit", "abc")
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--limit: 'abc' is not an integer")
  })

  it("validates --limit the same way for every command: 0 and too many are errors naming the range", async () => {
    for (const args of [["threads", "list"], ["threads", "turns", threadId], ["logs"]]) {
      const zero = await cli(...args, "--home", home, "--limit", "0")
      expect([args, zero.code]).toEqual([args, 2])
      expect(zero.stderr).toMatch(/--limit: 0 is not between 1 and \d+/)
      const huge = await cli(...args, "--home", home, "--limit", "100000")
      expect(huge.code).toBe(2)
      expect(huge.stderr).toMatch(/--limit: 100000 is not between 1 and \d+/)
    }
  })

  it("threads turns --json uses ISO-8601 UTC timestamps, as thread JSON does", async () => {
    const run = await cli("threads", "turns", threadId, "--home", home, "--json")
    expect(run.code).toBe(0)
    const page = JSON.parse(run.stdout) as { items: Array<{ startedAt: string | null }> }
    expect(page.items.length).toBeGreaterThan(0)
    for (const turn of page.items) expect(turn.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })

  it("logs --json prints one JSON document", async () => {
    const run = await cli("logs", "--home", home, "--json")
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ items: expect.any(Array) as Array<unknown> })
  })

  it("a command whose options all have defaults runs bare; a bare group shows its commands and exits 2", async () => {
    const demo = await cli("demo")
    expect(demo.code).toBe(0)
    expect(demo.stdout).toMatch(/^wrote \d+ rollout files to /)
    const group = await cli("threads")
    expect(group.code).toBe(2)
    expect(group.stderr).toContain("commands:")
  })

  it("--wizard is not offered: refused with exit 2", async () => {
    const run = await cli("threads", "list", "--wizard")
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--wizard: not offered")
  })

  it("threads list prints a table with a header whose time column is the sort key", async () => {
    const created = await cli("threads", "list", "--home", home, "--limit", "3")
    const lines = created.stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^created \(UTC\) +id +source +model +tokens +title$/)
    expect(lines.slice(1, 4).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d {2}[0-9a-f-]{36} /.test(l))).toBe(true)
    const updated = await cli("threads", "list", "--home", home, "--sort", "updated")
    expect(updated.stdout.split("\n")[0]).toMatch(/^updated \(UTC\) /)
    expect(Math.max(...updated.stdout.split("\n").map((l) => l.length))).toBeLessThanOrEqual(120)
  })

  it("a home never backfilled is backfilled by the first list (SPEC §11); a home with no rollouts says so", async () => {
    const recorded = join(dir, "recorded-home")
    cpSync(join(home, "sessions"), join(recorded, "sessions"), { recursive: true })
    const listed = await cli("threads", "list", "--home", recorded, "--json", "--limit", "200")
    expect(listed.code).toBe(0)
    const page = JSON.parse(listed.stdout) as { items: Array<{ id: string }>; backfill?: unknown }
    expect(page.items.map((item) => item.id)).toContain(threadId)
    expect(page.backfill).toBeUndefined()
    const empty = join(dir, "empty-home")
    mkdirSync(empty)
    const run = await cli("threads", "list", "--home", empty)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`no threads: ${empty} holds no rollouts`)
  })
})
