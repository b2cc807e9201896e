/**
 * The thread operations of issue 16 through the real CLI process: name and memory-mode updates,
 * close and resume with their cascades, the agent graph walks, archive cascades and delete.
 */
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
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

const id = (n: number) => `019a9f10-0000-7000-8000-0000000000${n}`

/** A home holding 20 ─ 21 ─ 22 (each spawned by the one before) and 23 beside them. */
const treeHome = () => {
  const home = join(mkdtempSync(join(tmpdir(), "cli-graph-")), "home")
  const dir = join(home, "sessions/2025/11/20")
  mkdirSync(dir, { recursive: true })
  for (const [n, parent] of [[20, undefined], [21, 20], [22, 21], [23, undefined]] as const) {
    const meta = {
      timestamp: "2025-11-20T10:00:00.000Z",
      type: "session_meta",
      payload: {
        id: id(n),
        timestamp: "2025-11-20T10:00:00.000Z",
        cwd: "/w",
        ...(parent === undefined ? {} : { parent_thread_id: id(parent) })
      }
    }
    writeFileSync(join(dir, `rollout-2025-11-20T10-00-00-${id(n)}.jsonl`), JSON.stringify(meta) + "\n")
  }
  return home
}

const json = async <A>(...args: Array<string>): Promise<A> => {
  const run = await cli(...args, "--json")
  expect([run.code, run.stderr]).toEqual([0, expect.any(String)])
  return JSON.parse(run.stdout) as A
}

describe("rollout-state threads: graph, close, update, delete (CLI)", () => {
  it("update --name/--memory-mode set and clear them; a value and its clear together is exit 2", async () => {
    const home = treeHome()
    expect((await cli("backfill", "--home", home)).code).toBe(0)
    const set = await json<ThreadJson>(
      "threads",
      "update",
      "--home",
      home,
      "--name",
      "Billing",
      "--memory-mode",
      "disabled",
      id(20)
    )
    expect(set).toMatchObject({ id: id(20), name: "Billing" })
    const cleared = await json<ThreadJson>("threads", "update", "--home", home, "--clear-name", id(20))
    expect(cleared.name).toBeNull()
    const text = await cli("threads", "update", "--home", home, "--clear-memory-mode", id(20))
    expect([text.code, text.stdout]).toEqual([0, expect.stringMatching(/name -, memoryMode -/)])
    const both = await cli("threads", "update", "--home", home, "--name", "a", "--clear-name", id(20))
    expect([both.code, both.stderr]).toEqual([2, expect.stringMatching(/--name and --clear-name/)])
    expect((await cli("threads", "update", "--home", home, "--name", " ", id(20))).code).toBe(2)
  }, 120_000)

  it(
    "close --cascade closes leaves first, children|descendants filter by --status, resume --cascade reopens root first",
    async () => {
      const home = treeHome()
      expect((await cli("backfill", "--home", home)).code).toBe(0)
      expect(await json("threads", "descendants", "--home", home, id(20))).toEqual({ items: [id(21), id(22)] })
      expect(await json("threads", "ancestors", "--home", home, id(22))).toEqual({ items: [id(20), id(21)] })
      expect(await json("threads", "close", "--home", home, "--cascade", id(20))).toEqual({
        closed: [id(22), id(21), id(20)]
      })
      expect(await json("threads", "children", "--home", home, "--status", "open", id(20))).toEqual({ items: [] })
      expect(await json("threads", "children", "--home", home, "--status", "closed", id(20))).toEqual({
        items: [id(21)]
      })
      expect(await json("threads", "resume", "--home", home, "--cascade", id(21))).toEqual({
        resumed: [id(20), id(21)]
      })
      expect(await json("threads", "descendants", "--home", home, "--status", "open", id(20))).toEqual({
        items: [id(21)]
      })
      const again = await cli("threads", "close", "--home", home, id(22))
      expect([again.code, again.stdout]).toEqual([0, expect.stringMatching(/nothing to close/)])
      expect((await cli("threads", "children", "--home", home, "--status", "paused", id(20))).code).toBe(2)
      // Recorded in the rollouts: a rebuild gives the same graph.
      expect((await cli("rebuild", "--home", home)).code).toBe(0)
      expect(await json("threads", "descendants", "--home", home, "--status", "open", id(20))).toEqual({
        items: [id(21)]
      })
    },
    120_000
  )

  it(
    "archive takes the open descendants along, unarchive the thread only, and delete removes a thread's file and row",
    async () => {
      const home = treeHome()
      expect((await cli("backfill", "--home", home)).code).toBe(0)
      expect((await cli("threads", "archive", "--home", home, id(20))).code).toBe(0)
      const archived = await json<{ items: Array<ThreadJson> }>("threads", "list", "--home", home, "--archived", "only")
      expect(archived.items.map((t) => t.id).sort()).toEqual([id(20), id(21), id(22)])
      expect((await json<ThreadJson>("threads", "unarchive", "--home", home, id(20))).archived).toBe(false)
      const deleted = await json<{ deleted: string; files: Array<string> }>("threads", "delete", "--home", home, id(22))
      expect(deleted).toEqual({ deleted: id(22), files: [expect.stringContaining(`archived_sessions/`)] })
      expect(existsSync(deleted.files[0]!)).toBe(false)
      const gone = await cli("threads", "show", "--home", home, id(22))
      expect([gone.code, gone.stderr]).toEqual([2, expect.stringMatching(/ThreadNotFound|no rollout file/)])
      expect((await cli("threads", "delete", "--home", home, "not-a-uuid")).code).toBe(2)
    },
    120_000
  )
})
