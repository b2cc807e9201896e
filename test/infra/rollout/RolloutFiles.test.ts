import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { mkdir, mkdtemp, writeFile } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { canonicalHome, listRolloutFiles } from "../../../src/infra/rollout/RolloutFiles.js"

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

  it.effect("follows symbolically linked folders and files, listing them under the names they have in the home", () =>
    Effect.gen(function*() {
      const outside = yield* Effect.promise(() =>
        makeHome({ [`01/20/rollout-2026-01-20T10-00-00-${ID}.jsonl`]: "{}\n", [`single.jsonl`]: "{}\n" })
      )
      const home = yield* Effect.promise(() => makeHome({}))
      mkdirSync(join(home, "sessions/2026/02/01"), { recursive: true })
      symlinkSync(join(outside, "01"), join(home, "sessions/2026/01"))
      const linkedFile = "sessions/2026/02/01/rollout-2026-02-01T10-00-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl"
      symlinkSync(join(outside, "single.jsonl"), join(home, linkedFile))
      const listing = yield* listRolloutFiles(home)
      expect(listing.files.map((f) => [f.relativePath, f.size])).toEqual([
        [`sessions/2026/01/20/rollout-2026-01-20T10-00-00-${ID}.jsonl`, 3],
        [linkedFile, 3]
      ])
      expect(listing.skipped).toEqual([])
      rmSync(outside, { recursive: true })
      rmSync(home, { recursive: true })
    }))

  it.effect("reports a link loop, a second name of a listed folder or file, and a broken link, listing each file once", () =>
    Effect.gen(function*() {
      const file = `sessions/2026/01/20/rollout-2026-01-20T10-00-00-${ID}.jsonl`
      const home = yield* Effect.promise(() => makeHome({ [file]: "{}\n" }))
      symlinkSync(join(home, "sessions/2026"), join(home, "sessions/2026/01/20/up"))
      symlinkSync(join(home, "sessions/2026/01"), join(home, "sessions/2025"))
      const alias = `sessions/2026/01/rollout-2026-01-20T10-00-00-${ID}.jsonl`
      symlinkSync(join(home, file), join(home, alias))
      symlinkSync(join(home, "nowhere"), join(home, "sessions/2026/gone.jsonl"))
      const listing = yield* listRolloutFiles(home)
      expect(listing.files.map((f) => f.relativePath)).toEqual([file])
      expect(listing.skipped).toEqual([
        { path: join(home, "sessions/2026/gone.jsonl"), reason: "broken symbolic link" },
        { path: join(home, "sessions/2025"), reason: `same folder as ${join(home, "sessions/2026/01")}` },
        {
          path: join(home, "sessions/2026/01/20/up"),
          reason: `symbolic link loop back to ${join(home, "sessions/2026")}`
        },
        { path: join(home, alias), reason: `same file as ${join(home, file)}` }
      ])
      rmSync(home, { recursive: true })
    }))

  it.live("reports FIFOs, sockets, devices, folders named *.jsonl and names that are not UTF-8 instead of dropping them", () =>
    Effect.gen(function*() {
      const home = yield* Effect.promise(() => makeHome({}))
      const day = join(home, "sessions/2026/01/20")
      mkdirSync(join(day, "rollout-2026-01-20T10-00-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl"), {
        recursive: true
      })
      writeFileSync(
        join(
          day,
          `rollout-2026-01-20T10-00-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl/rollout-2026-01-20T11-00-00-${ID}.jsonl`
        ),
        "{}\n"
      )
      execFileSync("mkfifo", [join(day, "fifo.jsonl")])
      symlinkSync("/dev/null", join(day, "null.jsonl"))
      writeFileSync(
        Buffer.concat([Buffer.from(join(day, "rollout-")), Buffer.from([0xff, 0xfe]), Buffer.from(".jsonl")]),
        "{}\n"
      )
      mkdirSync(join(home, "archived_sessions"))
      const socket = join(home, "archived_sessions/socket")
      const server = createServer()
      yield* Effect.async<void>((resume) => {
        server.listen(socket, () => resume(Effect.void))
      })
      const listing = yield* Effect.ensuring(
        listRolloutFiles(home),
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
        })
      )
      const folderName = "rollout-2026-01-20T10-00-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl"
      expect(listing.files.map((f) => f.relativePath)).toEqual([
        `sessions/2026/01/20/${folderName}/rollout-2026-01-20T11-00-00-${ID}.jsonl`
      ])
      expect(listing.skipped).toEqual([
        { path: join(day, "fifo.jsonl"), reason: "not a regular file: a FIFO" },
        { path: join(day, "null.jsonl"), reason: "not a regular file: a character device" },
        { path: join(day, folderName), reason: "a folder named like a rollout file (its contents are listed)" },
        { path: join(day, "rollout-\ufffd\ufffd.jsonl"), reason: "name is not valid UTF-8" },
        { path: socket, reason: "not a regular file: a socket" }
      ])
      rmSync(home, { recursive: true })
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
