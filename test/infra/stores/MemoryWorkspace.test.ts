/** The memory workspace on real temporary folders with the real git library (SPEC §11; issue 17 item 5). */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, TestClock } from "effect"
import * as git from "isomorphic-git"
import * as fs from "node:fs"
import { join } from "node:path"
import { RAW_MEMORIES_FILE, summaryFileName, WORKSPACE_DIFF_FILE } from "../../../src/domain/MemoryWorkspace.js"
import { MemoryJobs } from "../../../src/infra/stores/MemoryJobs.js"
import { diffAt, MemoryWorkspace, type MemoryWorkspaceError } from "../../../src/infra/stores/MemoryWorkspace.js"
import { input, tempHome, workspaceLayer } from "../../fixtures/memoryWorkspace.js"

const HOUR = 3_600_000

/** Runs `use` with the workspace of a fresh home and a claimed phase-2 lock. */
const withClaim = <A, E>(
  use: (ctx: {
    readonly workspace: MemoryWorkspace
    readonly jobs: MemoryJobs
    readonly token: string
    readonly home: string
  }) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const home = yield* tempHome
    return yield* Effect.gen(function*() {
      const jobs = yield* MemoryJobs
      const workspace = yield* MemoryWorkspace
      const claim = yield* jobs.claimPhase2({ workerId: "w1" })
      if (claim._tag !== "Claimed") throw new Error(`expected a claim, got ${claim._tag}`)
      return yield* use({ workspace, jobs, token: claim.ownershipToken, home })
    }).pipe(Effect.provide(workspaceLayer(home)))
  })

const read = (root: string, path: string) => fs.readFileSync(join(root, path), "utf8")
const notOwned = (exit: Exit.Exit<unknown, MemoryWorkspaceError | { readonly _tag: string }>) => {
  const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
  expect(Option.getOrUndefined(error)).toMatchObject({ _tag: "MemoryWorkspaceError", reason: "not-owned" })
}

describe("MemoryWorkspace", () => {
  it.scoped("prepare makes a missing folder a repository with one empty commit, and keeps an existing baseline", () =>
    withClaim(({ token, workspace }) =>
      Effect.gen(function*() {
        expect(fs.existsSync(workspace.root)).toBe(false)
        yield* workspace.prepare(token)
        const history = yield* workspace.history
        expect(history).toHaveLength(1)
        const { commit } = yield* Effect.promise(() => git.readCommit({ fs, dir: workspace.root, oid: history[0]! }))
        const tree = yield* Effect.promise(() => git.readTree({ fs, dir: workspace.root, oid: commit.tree }))
        expect(tree.tree).toEqual([])
        expect(yield* workspace.diff).toEqual({ dirty: false, changes: [], patch: "" })
        yield* workspace.prepare(token)
        expect(yield* workspace.history).toEqual(history)
      })
    ))

  it.scoped("sync writes raw_memories.md and a summary per input; the diff shows them added and is written for phase 2", () =>
    withClaim(({ token, workspace }) =>
      Effect.gen(function*() {
        yield* workspace.prepare(token)
        const inputs = [input("bob", { rolloutSlug: "Fix the Build!" }), input("ann")]
        const report = yield* workspace.sync(token, inputs)
        const ann = `rollout_summaries/${summaryFileName(inputs[1]!)}`
        const bob = `rollout_summaries/${summaryFileName(inputs[0]!)}`
        expect(bob).toMatch(/-fix_the_build\.md$/)
        expect(report).toEqual({ written: [RAW_MEMORIES_FILE, ann, bob].sort(), pruned: [], unchanged: 0 })
        // raw_memories.md lists threads by id whatever the selection's order, each naming its summary.
        const raw = read(workspace.root, RAW_MEMORIES_FILE)
        expect(raw.indexOf(inputs[1]!.threadId)).toBeLessThan(raw.indexOf(inputs[0]!.threadId))
        expect(raw).toContain(`rollout_summary_file: ${summaryFileName(inputs[0]!)}`)
        expect(read(workspace.root, bob)).toContain("bob fixed the build\nand wrote tests\n")

        const diff = yield* workspace.writeDiff(token)
        expect(diff.dirty).toBe(true)
        expect(diff.changes).toEqual([
          { path: RAW_MEMORIES_FILE, status: "added" },
          { path: ann, status: "added" },
          { path: bob, status: "added" }
        ])
        expect(diff.patch).toContain(
          `diff --git a/${bob} b/${bob}\nnew file mode 100644\n--- /dev/null\n+++ b/${bob}\n@@ -0,0 +1,7 @@\n`
        )
        const file = read(workspace.root, WORKSPACE_DIFF_FILE)
        expect(file).toContain(`- added ${bob}`)
        expect(file).toContain("+- bob prefers small commits")
        // Syncing the same inputs again rewrites nothing.
        expect(yield* workspace.sync(token, inputs)).toEqual({ written: [], pruned: [], unchanged: 3 })
      })
    ))

  it.scoped("after a reset the history is one commit of the workspace, the diff is empty, and pruned inputs show as deleted", () =>
    withClaim(({ token, workspace }) =>
      Effect.gen(function*() {
        yield* workspace.prepare(token)
        yield* workspace.sync(token, [input("ann"), input("bob")])
        yield* workspace.writeDiff(token)
        const first = yield* workspace.resetBaseline(token)
        expect(yield* workspace.history).toEqual([first])
        expect(fs.existsSync(join(workspace.root, WORKSPACE_DIFF_FILE))).toBe(false)
        expect(fs.readdirSync(workspace.root).sort()).toEqual([".git", RAW_MEMORIES_FILE, "rollout_summaries"])
        expect(yield* workspace.diff).toEqual({ dirty: false, changes: [], patch: "" })
        // No diff: nothing is written, a stale diff file is removed.
        fs.writeFileSync(join(workspace.root, WORKSPACE_DIFF_FILE), "stale")
        expect((yield* workspace.writeDiff(token)).dirty).toBe(false)
        expect(fs.existsSync(join(workspace.root, WORKSPACE_DIFF_FILE))).toBe(false)

        const report = yield* workspace.sync(token, [input("ann", { rawMemory: "- ann moved to vim" })])
        const bob = `rollout_summaries/${summaryFileName(input("bob"))}`
        expect(report.pruned).toEqual([bob])
        const diff = yield* workspace.writeDiff(token)
        expect(diff.changes).toEqual([{ path: RAW_MEMORIES_FILE, status: "modified" }, {
          path: bob,
          status: "deleted"
        }])
        expect(diff.patch).toContain("\n-- ann prefers small commits\n")
        expect(diff.patch).toContain("\n+- ann moved to vim\n")
        expect(diff.patch).toContain(`deleted file mode 100644\n--- a/${bob}\n+++ /dev/null\n`)
        const second = yield* workspace.resetBaseline(token)
        expect(second).not.toBe(first)
        expect(yield* workspace.history).toEqual([second])
        expect(yield* workspace.diff).toEqual({ dirty: false, changes: [], patch: "" })
      })
    ))

  it.scoped("a manual edit in the workspace shows up in the next diff, also read without the lock", () =>
    withClaim(({ token, workspace }) =>
      Effect.gen(function*() {
        yield* workspace.prepare(token)
        yield* workspace.sync(token, [input("ann")])
        fs.writeFileSync(join(workspace.root, "MEMORY.md"), "# Memory\n- ann: tests first\n")
        yield* workspace.resetBaseline(token)
        fs.writeFileSync(join(workspace.root, "MEMORY.md"), "# Memory\n- ann: tests first\n- ann: small commits\n")
        fs.mkdirSync(join(workspace.root, "skills", "review"), { recursive: true })
        fs.writeFileSync(join(workspace.root, "skills", "review", "SKILL.md"), "review\n")
        const expected = [
          { path: "MEMORY.md", status: "modified" },
          { path: "skills/review/SKILL.md", status: "added" }
        ]
        expect((yield* workspace.diff).changes).toEqual(expected)
        const read = yield* diffAt(workspace.root)
        expect(read.changes).toEqual(expected)
        expect(read.patch).toContain("@@ -1,2 +1,3 @@\n # Memory\n - ann: tests first\n+- ann: small commits\n")
        // Only summaries are pruned: another file under rollout_summaries/ stays.
        fs.writeFileSync(join(workspace.root, "rollout_summaries", "notes.txt"), "keep\n")
        expect((yield* workspace.sync(token, [])).pruned).toEqual([
          `rollout_summaries/${summaryFileName(input("ann"))}`
        ])
        expect(fs.existsSync(join(workspace.root, "rollout_summaries", "notes.txt"))).toBe(true)
      })
    ))

  it.scoped("a token that does not hold the phase-2 lock touches nothing", () =>
    withClaim(({ token, workspace }) =>
      Effect.gen(function*() {
        notOwned(yield* Effect.exit(workspace.prepare("forged")))
        expect(fs.existsSync(workspace.root)).toBe(false)
        yield* workspace.prepare(token)
        const baseline = yield* workspace.history
        notOwned(yield* Effect.exit(workspace.sync("forged", [input("ann")])))
        expect(fs.existsSync(join(workspace.root, RAW_MEMORIES_FILE))).toBe(false)
        yield* workspace.sync(token, [input("ann")])
        notOwned(yield* Effect.exit(workspace.writeDiff("forged")))
        expect(fs.existsSync(join(workspace.root, WORKSPACE_DIFF_FILE))).toBe(false)
        notOwned(yield* Effect.exit(workspace.resetBaseline("forged")))
        expect(yield* workspace.history).toEqual(baseline)
        expect((yield* workspace.diff).dirty).toBe(true)
      })
    ))

  it.scoped("a stale owner never resets the baseline: its lease lapsed and another worker holds the lock", () =>
    withClaim(({ jobs, token, workspace }) =>
      Effect.gen(function*() {
        yield* workspace.prepare(token)
        yield* workspace.sync(token, [input("ann")])
        const baseline = yield* workspace.history
        yield* TestClock.adjust(HOUR + 1)
        // Lapsed but not yet reclaimed: already not the owner.
        notOwned(yield* Effect.exit(workspace.resetBaseline(token)))
        const second = yield* jobs.claimPhase2({ workerId: "w2" })
        if (second._tag !== "Claimed") throw new Error(second._tag)
        notOwned(yield* Effect.exit(workspace.resetBaseline(token)))
        expect(yield* workspace.history).toEqual(baseline)
        // No half-built repository is left behind.
        expect(fs.readdirSync(join(workspace.root, ".git")).filter((n) => n.startsWith("next-"))).toEqual([])
        const fresh = yield* workspace.resetBaseline(second.ownershipToken)
        expect(yield* workspace.history).toEqual([fresh])
      })
    ))

  it.scoped("an unusable .git is replaced by a fresh repository with an empty first commit", () =>
    withClaim(({ token, workspace }) =>
      Effect.gen(function*() {
        fs.mkdirSync(join(workspace.root, ".git"), { recursive: true })
        fs.writeFileSync(join(workspace.root, ".git", "HEAD"), "garbage\n")
        fs.writeFileSync(join(workspace.root, "MEMORY.md"), "kept\n")
        yield* workspace.prepare(token)
        expect(yield* workspace.history).toHaveLength(1)
        expect((yield* workspace.diff).changes).toEqual([{ path: "MEMORY.md", status: "added" }])
      })
    ))

  it.scoped("a thread id that is not a UUID is refused before any file is written (ids name files)", () =>
    withClaim(({ token, workspace }) =>
      Effect.gen(function*() {
        yield* workspace.prepare(token)
        const error = yield* Effect.flip(
          workspace.sync(token, [input("ann"), { ...input("bob"), threadId: "../../x" }])
        )
        expect(error._tag).toBe("InvalidInput")
        expect(fs.readdirSync(workspace.root)).toEqual([".git"])
      })
    ))

  it.scoped("a folder without a repository is a repository error naming the folder", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const error = yield* Effect.flip(diffAt(join(home, "memories")))
      expect(error).toMatchObject({ _tag: "MemoryWorkspaceError", reason: "repository", path: join(home, "memories") })
      expect(error.message).toContain(join(home, "memories"))
    }))
})
