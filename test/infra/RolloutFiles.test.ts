import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { realpathSync, rmSync, symlinkSync } from "node:fs"
import { mkdir, mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { canonicalHome, listRolloutFiles } from "../../src/infra/RolloutFiles.js"

const ID = "019a9f10-1111-7222-8333-444455556666"

const makeHome = async (files: Record<string, string>): Promise<string> => {
  const home = await mkdtemp(join(tmpdir(), "rollout-home-"))
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(home, path, ".."), { recursive: true })
    await writeFile(join(home, path), content)
  }
  return home
}

describe("listRolloutFiles", () => {
  it.effect("lists live and archived rollouts in byte order of their home-relative path", () =>
    Effect.gen(function*() {
      const home = yield* Effect.promise(() =>
        makeHome({
          [`sessions/2025/11/20/rollout-2025-11-20T16-59-09-${ID}.jsonl`]: "{}\n",
          [`archived_sessions/rollout-2025-11-21T08-00-00-019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff.jsonl`]: "{}\n",
          [`sessions/2025/05/10/rollout-2025-05-10T09-15-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl`]: "{}\n"
        })
      )
      const listing = yield* listRolloutFiles(home)
      expect(listing.files.map((f) => f.relativePath)).toEqual([
        "archived_sessions/rollout-2025-11-21T08-00-00-019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff.jsonl",
        "sessions/2025/05/10/rollout-2025-05-10T09-15-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl",
        `sessions/2025/11/20/rollout-2025-11-20T16-59-09-${ID}.jsonl`
      ])
      expect(listing.files.map((f) => f.archived)).toEqual([true, false, false])
      expect(listing.skipped).toEqual([])
    }))

  it.effect("hides a compressed rollout behind its plain sibling and keeps a lone compressed one", () =>
    Effect.gen(function*() {
      const plain = `sessions/2025/11/20/rollout-2025-11-20T16-59-09-${ID}.jsonl`
      const lone = "sessions/2025/11/20/rollout-2025-11-20T17-00-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl.zst"
      const home = yield* Effect.promise(() => makeHome({ [plain]: "{}\n", [`${plain}.zst`]: "x", [lone]: "x" }))
      const listing = yield* listRolloutFiles(home)
      expect(listing.files.map((f) => [f.relativePath, f.name.compressed])).toEqual([[plain, false], [lone, true]])
    }))

  it.effect("ignores empty copy-suffixed files and reports other names that are not rollouts", () =>
    Effect.gen(function*() {
      const home = yield* Effect.promise(() =>
        makeHome({
          [`sessions/2025/11/20/rollout-2025-11-20T16-59-09-${ID} (1).jsonl`]: "",
          [`sessions/2025/11/20/rollout-2025-11-20T16-59-09-${ID} (2).jsonl`]: "{}\n",
          "sessions/2025/11/20/rollout-notes.jsonl": "{}\n",
          "sessions/2025/11/20/readme.txt": "hi"
        })
      )
      const listing = yield* listRolloutFiles(home)
      expect(listing.files).toEqual([])
      expect(listing.skipped.map((s) => s.path.split("/").pop()).sort()).toEqual([
        `rollout-2025-11-20T16-59-09-${ID} (2).jsonl`,
        "rollout-notes.jsonl"
      ])
    }))

  it.effect("reads the reverted-rollout suffix and fails with HomeNotFound for a missing home", () =>
    Effect.gen(function*() {
      const home = yield* Effect.promise(() =>
        makeHome({ [`sessions/2025/11/20/rollout-2025-11-20T16-59-09-${ID}_r2.jsonl`]: "{}\n" })
      )
      const listing = yield* listRolloutFiles(home)
      expect(listing.files[0]?.name).toMatchObject({ threadId: ID, rolloutId: "r2" })
      const missing = yield* Effect.exit(listRolloutFiles(join(home, "nope")))
      expect(Exit.isFailure(missing) && String(missing.cause)).toContain("home folder not found")
    }))

  it.effect("resolves a home to its canonical absolute name", () =>
    Effect.gen(function*() {
      const home = yield* Effect.promise(() => makeHome({}))
      const link = `${home}-link`
      symlinkSync(home, link)
      expect(yield* canonicalHome(link)).toBe(realpathSync(home))
      expect(yield* canonicalHome(join(home, "sessions", ".."))).toBe(realpathSync(home))
      const missing = yield* Effect.flip(canonicalHome(join(home, "nope")))
      expect(missing.message).toBe(`${join(home, "nope")}: home folder not found`)
      rmSync(link)
      rmSync(home, { recursive: true })
    }))
})
