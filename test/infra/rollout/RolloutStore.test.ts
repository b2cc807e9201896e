import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"
import {
  appendToRollout,
  createRollout,
  nodeSyscalls,
  type RolloutSyscalls,
  RolloutSyscallsRef
} from "../../../src/infra/rollout/RolloutStore.js"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "store-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code })

/**
 * The real calls, except that writes fail as a full disk does: the first write stores only
 * `partialBytes` (none when 0) and the next one fails with `code`.
 */
const failingWrites = (
  options: { readonly code: string; readonly partialBytes: number; readonly beforeFailing?: () => void }
): RolloutSyscalls & { readonly syncs: () => number } => {
  let writes = 0
  let syncs = 0
  return {
    ...nodeSyscalls,
    write: (fd, buffer, offset, length) => {
      writes += 1
      if (writes === 1 && options.partialBytes > 0) {
        return nodeSyscalls.write(fd, buffer, offset, Math.min(length, options.partialBytes))
      }
      options.beforeFailing?.()
      throw errno(options.code)
    },
    fdatasync: (fd) => {
      syncs += 1
      nodeSyscalls.fdatasync(fd)
    },
    syncs: () => syncs
  }
}

const counting = (): RolloutSyscalls & { readonly syncs: () => number } => {
  let syncs = 0
  return {
    ...nodeSyscalls,
    fdatasync: (fd) => {
      syncs += 1
      nodeSyscalls.fdatasync(fd)
    },
    syncs: () => syncs
  }
}

const withSyscalls = (fs: RolloutSyscalls) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, RolloutSyscallsRef, fs)

const line = (n: number) => `{"n":${n},"pad":"${"x".repeat(4000)}"}\n`

describe("rollout writes", () => {
  it.scoped("a short write followed by ENOSPC is truncated back to the bytes before it and reported naming the file", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "r.jsonl")
      writeFileSync(file, line(1))
      const before = readFileSync(file)
      const error = yield* appendToRollout(file, line(2) + line(3)).pipe(
        withSyscalls(failingWrites({ code: "ENOSPC", partialBytes: 2580 })),
        Effect.flip
      )
      expect(error._tag).toBe("RolloutWriteError")
      expect(error.file).toBe(file)
      expect(error.reason).toContain("no space left on device")
      expect(error.reason).toContain("truncated")
      expect(error.message).toContain(file)
      expect(readFileSync(file).equals(before)).toBe(true)
    }))

  it.scoped("an EIO on the first write leaves the file as it was and is reported", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "r.jsonl")
      writeFileSync(file, line(1))
      const error = yield* appendToRollout(file, line(2)).pipe(
        withSyscalls(failingWrites({ code: "EIO", partialBytes: 0 })),
        Effect.flip
      )
      expect(error.reason).toContain("input/output error")
      expect(readFileSync(file, "utf8")).toBe(line(1))
    }))

  it.scoped("a write truncated away leaves the file's modification time as it was (an archived file's archive time)", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "r.jsonl")
      writeFileSync(file, line(1))
      const archivedAt = new Date("2025-11-21T08:00:00.123Z")
      utimesSync(file, archivedAt, archivedAt)
      const before = statSync(file, { bigint: true }).mtimeNs
      yield* appendToRollout(file, line(2)).pipe(
        withSyscalls(failingWrites({ code: "ENOSPC", partialBytes: 100 })),
        Effect.flip
      )
      expect(readFileSync(file, "utf8")).toBe(line(1))
      // To the microsecond: times cross `futimes` as seconds in a double.
      expect(statSync(file, { bigint: true }).mtimeNs / 1000n).toBe(before / 1000n)
    }))

  it.scoped("the newline added after a torn last line is taken back with the failed write", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "r.jsonl")
      writeFileSync(file, line(1) + "{\"torn\":")
      yield* appendToRollout(file, line(2)).pipe(
        withSyscalls(failingWrites({ code: "ENOSPC", partialBytes: 1 })),
        Effect.flip
      )
      expect(readFileSync(file, "utf8")).toBe(line(1) + "{\"torn\":")
    }))

  it.scoped("bytes another writer appended after our fragment are never cut: the fragment is left and reported", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "r.jsonl")
      writeFileSync(file, line(1))
      const error = yield* appendToRollout(file, line(2)).pipe(
        withSyscalls(failingWrites({
          code: "ENOSPC",
          partialBytes: 100,
          beforeFailing: () => appendFileSync(file, line(9))
        })),
        Effect.flip
      )
      expect(error.reason).toContain("another writer")
      expect(readFileSync(file, "utf8")).toBe(line(1) + line(2).slice(0, 100) + line(9))
    }))

  it.scoped("a failed fdatasync under durability data takes the lines back", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "r.jsonl")
      writeFileSync(file, line(1))
      const fs: RolloutSyscalls = {
        ...nodeSyscalls,
        fdatasync: () => {
          throw errno("EIO")
        }
      }
      const error = yield* appendToRollout(file, line(2), { durability: "data" }).pipe(withSyscalls(fs), Effect.flip)
      expect(error.reason).toContain("input/output error")
      expect(readFileSync(file, "utf8")).toBe(line(1))
    }))

  it.scoped("durability data fdatasyncs each append and none never does", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "r.jsonl")
      writeFileSync(file, line(1))
      const fs = counting()
      yield* appendToRollout(file, line(2)).pipe(withSyscalls(fs))
      expect(fs.syncs()).toBe(0)
      yield* appendToRollout(file, line(3), { durability: "data" }).pipe(withSyscalls(fs))
      expect(fs.syncs()).toBe(1)
      expect(readFileSync(file, "utf8")).toBe(line(1) + line(2) + line(3))
    }))

  it.scoped("a new file whose first write fails is removed and the failure reported", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "sessions", "r.jsonl")
      const error = yield* createRollout(file, line(1)).pipe(
        withSyscalls(failingWrites({ code: "ENOSPC", partialBytes: 10 })),
        Effect.flip
      )
      expect(error.file).toBe(file)
      expect(error.reason).toContain("no space left on device")
      expect(error.reason).toContain("removed")
      expect(existsSync(file)).toBe(false)
    }))
})

const message = (text: string) => ({
  type: "event_msg" as const,
  payload: { type: "user_message" as const, message: text }
})

describe("engine appends on a full disk", () => {
  it.scoped("after an append fails with ENOSPC mid-write, the next append leaves a file whose every line parses", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const paths = { home: join(dir, "home"), database: join(dir, "state.sqlite") }
      const engine = Context.get(yield* Layer.build(Layer.fresh(Engine.layer(paths))), Engine.Engine)
      const created = yield* engine.createThread({ cwd: "/a" })
      const failed = yield* engine.append(created.metadata.id, [message("lost to a full disk ".repeat(200))]).pipe(
        withSyscalls(failingWrites({ code: "ENOSPC", partialBytes: 2580 })),
        Effect.flip
      )
      expect(failed._tag).toBe("RolloutWriteError")
      yield* engine.append(created.metadata.id, [message("after the disk was freed")])
      const text = readFileSync(created.placement.rolloutPath, "utf8")
      expect(text.endsWith("\n")).toBe(true)
      const lines = text.slice(0, -1).split("\n")
      expect(lines).toHaveLength(2)
      for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow()
      const verified = yield* engine.verify()
      expect(verified.differences).toEqual([])
      expect((yield* engine.getThread(created.metadata.id))?.metadata.title).toBe("after the disk was freed")
    }))

  it.scoped("an engine configured for durability data fdatasyncs appends, and an append can opt out", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const paths = { home: join(dir, "home"), database: join(dir, "state.sqlite") }
      const engine = Context.get(
        yield* Layer.build(Layer.fresh(Engine.layer({ ...paths, durability: "data" }))),
        Engine.Engine
      )
      const fs = counting()
      const created = yield* engine.createThread({ cwd: "/a" }).pipe(withSyscalls(fs))
      expect(fs.syncs()).toBe(1)
      yield* engine.append(created.metadata.id, [message("synced")]).pipe(withSyscalls(fs))
      expect(fs.syncs()).toBe(2)
      yield* engine.append(created.metadata.id, [message("not synced")], { durability: "none" }).pipe(withSyscalls(fs))
      expect(fs.syncs()).toBe(2)
    }))
})
