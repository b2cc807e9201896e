/**
 * `rollout-state search` (issue 19): full-text search from the command line, as JSON, as text
 * and, on a terminal, with the matched words highlighted.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { CLI } from "../../fixtures/cli.js"

const dir = mkdtempSync(join(tmpdir(), "cli-search-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const run = (file: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      file,
      args,
      { env },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
    )
  })

const cli = (...args: Array<string>) => run(process.execPath, [CLI, ...args], { ...process.env, NO_COLOR: "1" })

interface Hit {
  thread: { id: string; title: string; cwd: string }
  matches: number
  snippet: { text: string; highlights: Array<[number, number]> }
}

describe("rollout-state search (CLI)", () => {
  it("finds threads by what was said, best first, as JSON and as text, highlighted on a terminal", async () => {
    expect((await cli("demo", "--dir", dir)).code).toBe(0)
    const home = join(dir, "home")
    const found = await cli("search", "--home", home, "login flake*", "--json")
    expect(found.code).toBe(0)
    const page = JSON.parse(found.stdout) as { items: Array<Hit>; exhaustive: boolean; nextCursor: string | null }
    expect(page.items.length).toBeGreaterThan(0)
    expect(page.exhaustive).toBe(true)
    for (const hit of page.items) {
      const words = hit.snippet.highlights.map(([start, end]) => hit.snippet.text.slice(start, end).toLowerCase())
      expect(words).toContain("login")
      expect(words.some((w) => w.startsWith("flake"))).toBe(true)
    }
    const { cwd } = page.items[0]!.thread
    const inCwd = JSON.parse((await cli("search", "--home", home, "login", "--cwd", cwd, "--json")).stdout) as {
      items: Array<Hit>
    }
    expect(inCwd.items.length).toBeGreaterThan(0)
    expect(inCwd.items.every((hit) => hit.thread.cwd === cwd)).toBe(true)
    const first = JSON.parse((await cli("search", "--home", home, "login", "--limit", "1", "--json")).stdout) as {
      items: Array<Hit>
    }
    expect(first.items).toHaveLength(1)

    const text = await cli("search", "--home", home, "login")
    expect(text.stdout).toContain("»login«")
    expect(text.stdout).not.toContain("\x1b")

    // A terminal: script(1) gives the command a pseudo-terminal.
    const env = { ...process.env }
    delete env["NO_COLOR"]
    const tty = await run(
      "script",
      ["-qec", `${process.execPath} ${CLI} search --home ${home} login`, "/dev/null"],
      env
    )
    expect(tty.stdout).toContain("\x1b[1;33mlogin\x1b[0m")

    const none = await cli("search", "--home", home, "zebra")
    expect([none.code, none.stdout.trim()]).toEqual([0, "no threads match"])
    const bad = await cli("search", "--home", home, "login AND")
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("query: syntax error")])
  }, 120_000)
})
