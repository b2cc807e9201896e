import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { ThreadJson } from "../../../src/infra/cli/ThreadJson.js"
import { CLI } from "../../fixtures/cli.js"

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

type ThreadPage = { items: Array<ThreadJson>; nextCursor: string | null; backwardsCursor: string | null }
const parsed = <A>(text: string): A => JSON.parse(text) as A

describe("rollout-state threads (CLI)", () => {
  it("refuses a huge --cursor with exit 2 without echoing it whole", async () => {
    const home = mkdtempSync(join(tmpdir(), "cli-cursor-"))
    // One argument may hold at most 128 KiB on Linux.
    const run = await cli("threads", "list", "--home", home, "--cursor", "C".repeat(100_000))
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/invalid cursor "C{32}"… \(100000 characters\): longer than 512 characters/)
    expect(run.stderr.length).toBeLessThan(300)
  })

  it("shows, patches, archives and unarchives a thread with the JSON shapes and exit codes of SPEC §10", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-"))
    expect((await cli("demo", "--dir", dir)).code).toBe(0)
    const home = join(dir, "home")
    const listed = parsed<ThreadPage>((await cli("threads", "list", "--home", home, "--json", "--limit", "50")).stdout)
    const thread = listed.items.find((t) => t.parentThreadId !== null)!
    expect(Object.keys(listed)).toEqual(["items", "nextCursor", "backwardsCursor"])

    const shown = parsed<ThreadJson & { dynamicTools: unknown }>(
      (await cli("threads", "show", "--home", home, "--json", thread.id)).stdout
    )
    expect(shown).toMatchObject({
      id: thread.id,
      latestModel: thread.model,
      latestReasoningEffort: thread.reasoningEffort
    })
    expect(Array.isArray(shown.dynamicTools)).toBe(true)

    const updated = await cli(
      "threads",
      "update",
      "--home",
      home,
      "--json",
      "--git-sha",
      "c0ffee",
      "--clear-git-branch",
      thread.id
    )
    expect(updated.code).toBe(0)
    expect(JSON.parse(updated.stdout)).toMatchObject({
      gitSha: "c0ffee",
      gitBranch: null,
      gitOriginUrl: thread.gitOriginUrl
    })
    expect((await cli("threads", "update", "--home", home, thread.id)).code).toBe(2)
    const both = await cli("threads", "update", "--home", home, "--git-sha", "a", "--clear-git-sha", thread.id)
    expect([both.code, both.stderr]).toEqual([2, expect.stringMatching(/--git-sha and --clear-git-sha/)])

    const archived = parsed<ThreadJson>((await cli("threads", "archive", "--home", home, "--json", thread.id)).stdout)
    expect(archived).toMatchObject({
      archived: true,
      rolloutPath: expect.stringContaining("/archived_sessions/") as string
    })
    expect(archived.archivedAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    const archivedList = parsed<ThreadPage>(
      (await cli("threads", "list", "--home", home, "--json", "--archived", "only")).stdout
    )
    expect(archivedList.items.map((t) => t.id)).toContain(thread.id)
    const restored = parsed<ThreadJson>((await cli("threads", "unarchive", "--home", home, "--json", thread.id)).stdout)
    expect(restored).toMatchObject({ archived: false, archivedAt: null, rolloutPath: thread.rolloutPath })

    const missing = await cli("threads", "archive", "--home", home, "019a9f10-0000-7000-8000-000000000000")
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/019a9f10-0000-7000-8000-000000000000/)])
    expect((await cli("verify", "--home", home)).code).toBe(0)
  }, 120_000)

  it(
    "lists by several cwds, a parent, source kinds and archived all|only|none, with each thread's sourceKind",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "cli-filters-"))
      expect((await cli("demo", "--dir", dir)).code).toBe(0)
      const home = join(dir, "home")
      const list = async (...args: Array<string>) => {
        const run = await cli("threads", "list", "--home", home, "--json", "--limit", "200", ...args)
        expect([run.code, run.stderr]).toEqual([0, ""])
        return parsed<ThreadPage>(run.stdout).items
      }
      const ids = (items: Array<ThreadJson>) => items.map((t) => t.id).sort()
      const all = await list("--archived", "all")
      const live = all.filter((t) => !t.archived)
      expect(ids(await list())).toEqual(ids(live))
      expect(ids(await list("--archived", "none"))).toEqual(ids(live))
      expect(ids(await list("--archived", "only"))).toEqual(ids(all.filter((t) => t.archived)))
      expect(all.some((t) => t.archived) && live.length > 0).toBe(true)

      const [a, b] = [...new Set(live.map((t) => t.cwd))]
      expect(ids(await list("--cwd", a!, "--cwd", `${b!}/.`))).toEqual(
        ids(live.filter((t) => t.cwd === a || t.cwd === b))
      )

      const child = all.find((t) => t.parentThreadId !== null)!
      expect(child.sourceKind).toBe("subAgentThreadSpawn")
      expect(ids(await list("--parent", child.parentThreadId!, "--archived", "all"))).toEqual([child.id])
      expect(ids(await list("--source-kind", "subagent"))).toEqual([child.id])
      expect(ids(await list("--source-kind", "cli", "--source", "vscode"))).toEqual(
        ids(live.filter((t) => t.sourceKind === "cli" || t.sourceKind === "vscode"))
      )
      expect(new Set(all.map((t) => t.sourceKind))).toEqual(new Set(["cli", "vscode", "subAgentThreadSpawn"]))

      const badKind = await cli("threads", "list", "--home", home, "--source-kind", "robots")
      expect([badKind.code, badKind.stderr]).toEqual([
        2,
        expect.stringContaining(`--source-kind: source kind "robots"`)
      ])
      const badParent = await cli("threads", "list", "--home", home, "--parent", "../x")
      expect([badParent.code, badParent.stderr]).toEqual([
        2,
        expect.stringMatching(/--parent: "\.\.\/x" is not a UUID/)
      ])
    },
    120_000
  )

  it("rejects an id that is not a UUID with exit 2 and a message naming it, before opening anything", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-ids-"))
    const home = join(dir, "home")
    mkdirSync(home)
    const runs = [
      ["threads", "show", "../../../../x"],
      ["threads", "turns", "a/b"],
      ["threads", "update", "--git-sha", "c0ffee", "/etc/passwd"],
      ["threads", "archive", "019A9F10-1111-7222-8333-444455556666"],
      ["threads", "unarchive", "../y"],
      ["logs", "--thread", "../z"]
    ]
    for (const args of runs) {
      const result = await cli(...args, "--home", home)
      expect([result.code, result.stderr]).toEqual([2, expect.stringContaining(JSON.stringify(args.at(-1)))])
    }
    const empty = await cli("threads", "show", "--home", home, "")
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining(`"" is not a UUID`)])
    // No database was opened (none created) and no rollout written.
    expect(readdirSync(dir, { recursive: true })).toEqual(["home"])
    rmSync(dir, { recursive: true, force: true })
  }, 120_000)
})
