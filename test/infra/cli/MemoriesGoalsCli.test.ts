/** `memories status`, `memories workspace diff` and `goals show|list` (issue 17 item 7) over state seeded through the stores. */
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { RAW_MEMORIES_FILE } from "../../../src/domain/MemoryWorkspace.js"
import type { statusJson } from "../../../src/infra/cli/StoresRun.js"
import * as Database from "../../../src/infra/sqlite/Database.js"
import * as MemoryJobs from "../../../src/infra/stores/MemoryJobs.js"
import * as MemoryWorkspace from "../../../src/infra/stores/MemoryWorkspace.js"
import * as ThreadGoals from "../../../src/infra/stores/ThreadGoals.js"
import { CLI } from "../../fixtures/cli.js"
import { input, workspaceLayer } from "../../fixtures/memoryWorkspace.js"

const T1 = "019a9f10-1111-7222-8333-444455556666"
const T2 = "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff"

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

describe("memories and goals (CLI)", () => {
  it(
    "memories status shows phase 2's owner and lease; goals show and list print the goals, --json in camelCase",
    async () => {
      const home = mkdtempSync(join(tmpdir(), "cli-memories-"))
      dirs.push(home)
      const file = join(home, "state.sqlite")
      await Effect.runPromise(
        Effect.gen(function*() {
          const jobs = yield* MemoryJobs.make()
          yield* jobs.claimPhase2({ workerId: "worker-7" })
          const goals = yield* ThreadGoals.make
          yield* goals.create({ threadId: T1, objective: "ship the parser", tokenBudget: 500 })
          yield* goals.create({ threadId: T2, objective: "wait for review", status: "blocked" })
        }).pipe(Effect.provide(Database.layer({ file })))
      )
      const status = await cli("memories", "status", "--home", home, "--json")
      expect(status.code).toBe(0)
      const parsed = JSON.parse(status.stdout) as ReturnType<typeof statusJson>
      expect(parsed).toMatchObject({ outputs: 0, phase2: { status: "running", owner: "worker-7", lastSuccess: null } })
      expect(parsed.phase2?.leaseUntil).toMatch(/^\d{4}-/)

      const shown = await cli("goals", "show", T1, "--home", home, "--json")
      expect(JSON.parse(shown.stdout)).toMatchObject({
        threadId: T1,
        status: "active",
        tokenBudget: 500,
        tokensUsed: 0
      })
      const listed = await cli("goals", "list", "--home", home, "--status", "blocked")
      expect(listed.stdout).toMatch(new RegExp(`^${T2}  blocked .*\\n  wait for review\\n$`))
      const none = await cli("goals", "show", "019a9f10-0000-7000-8000-000000000000", "--home", home)
      expect([none.code, none.stderr]).toEqual([2, expect.stringMatching(/the thread has no goal/)])
    },
    180_000
  )
})

describe("memories workspace diff (CLI)", () => {
  it(
    "prints the workspace against its baseline, a manual edit included; clean says so; a home without one is exit 2 naming it",
    async () => {
      const home = mkdtempSync(join(tmpdir(), "cli-workspace-"))
      dirs.push(home)
      const root = join(home, "memories")
      const missing = await cli("memories", "workspace", "diff", "--home", home)
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain(`${root}: diff: no memory workspace yet`)

      await Effect.runPromise(
        Effect.gen(function*() {
          const jobs = yield* MemoryJobs.MemoryJobs
          const workspace = yield* MemoryWorkspace.MemoryWorkspace
          const claim = yield* jobs.claimPhase2({ workerId: "w" })
          if (claim._tag !== "Claimed") throw new Error(claim._tag)
          yield* workspace.prepare(claim.ownershipToken)
          yield* workspace.sync(claim.ownershipToken, [input("ann")])
          yield* workspace.resetBaseline(claim.ownershipToken)
        }).pipe(Effect.provide(workspaceLayer(home)))
      )
      const clean = await cli("memories", "workspace", "diff", "--home", home)
      expect(clean).toMatchObject({ code: 0, stdout: "" })
      expect(clean.stderr).toContain("no changes against the baseline")

      writeFileSync(join(root, RAW_MEMORIES_FILE), "# Raw Memories\n\nedited by hand\n")
      const edited = await cli("memories", "workspace", "diff", "--home", home)
      expect(edited.code).toBe(0)
      expect(edited.stderr).toContain(`modified ${RAW_MEMORIES_FILE}`)
      expect(edited.stdout).toContain(`diff --git a/${RAW_MEMORIES_FILE} b/${RAW_MEMORIES_FILE}\n`)
      expect(edited.stdout).toContain("+edited by hand\n")
      const asJson = await cli("memories", "workspace", "diff", "--home", home, "--json")
      expect(JSON.parse(asJson.stdout)).toMatchObject({
        root,
        dirty: true,
        changes: [{ path: RAW_MEMORIES_FILE, status: "modified" }]
      })
    },
    120_000
  )
})
