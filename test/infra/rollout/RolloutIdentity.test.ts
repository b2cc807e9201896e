import { describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect, Exit, Layer } from "effect"
import { execFileSync } from "node:child_process"
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { layer as projectorLayer, ThreadProjector } from "../../../src/infra/engine/ThreadProjector.js"
import { belongsTo, rolloutIdentity } from "../../../src/infra/rollout/RolloutIdentity.js"

const A = "019b0000-0000-7000-8000-00000000000a"
const B = "019b0000-0000-7000-8000-00000000000b"

const tempHome = Effect.map(
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "identity-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  ),
  (dir) => ({ dir, home: join(dir, "home"), database: join(dir, "state.sqlite") })
)

type Paths = { readonly home: string; readonly database: string }

const withEngine = <A, E, R extends Engine.Engine | ThreadProjector = never>(
  paths: Paths,
  use: (engine: Engine.Engine) => Effect.Effect<A, E, R>
) =>
  Effect.flatMap(Engine.Engine, use).pipe(
    Effect.provide(Layer.fresh(projectorLayer.pipe(Layer.provideMerge(Engine.layer(paths)))))
  )

const message = (text: string): Engine.WritableItem => ({
  type: "event_msg",
  payload: { type: "user_message", message: text }
})

/** Two threads, B's file longer than A's; returns their files. */
const twoThreads = (engine: Engine.Engine) =>
  Effect.gen(function*() {
    const a = yield* engine.createThread({ id: A, cwd: "/repo/a", originator: "host" })
    const b = yield* engine.createThread({ id: B, cwd: "/repo/b", originator: "host" })
    yield* engine.append(B, [message("b's first message"), message("and a second one")])
    return { a: a.placement.rolloutPath, b: b.placement.rolloutPath }
  })

/** What tampering, a copy or a bug would leave: thread `id`'s row pointing at `path`. */
const pointRowAt = (database: string, id: string, path: string) => {
  const db = new Sqlite(database, { timeout: 5000 })
  try {
    db.prepare("UPDATE threads SET rollout_path = ? WHERE id = ?").run(path, id)
  } finally {
    db.close()
  }
}

const rowOf = (database: string, id: string) => {
  const db = new Sqlite(database, { readonly: true })
  try {
    return db.prepare("SELECT rollout_path, cwd, file_size FROM threads WHERE id = ?").get(id) as {
      rollout_path: string
      cwd: string
      file_size: number
    }
  } finally {
    db.close()
  }
}

const failureOf = <A, E>(exit: Exit.Exit<A, E>) => (Exit.isFailure(exit) ? String(exit.cause) : "succeeded")

describe("a file belongs to its thread (SPEC §12)", () => {
  it.scoped(
    "a metadata update of a thread whose row points at another thread's file writes into its own file; the other file is unchanged",
    () =>
      Effect.gen(function*() {
        const paths = yield* tempHome
        yield* withEngine(paths, (engine) =>
          Effect.gen(function*() {
            const files = yield* twoThreads(engine)
            const bBefore = readFileSync(files.b)
            pointRowAt(paths.database, A, files.b)
            const updated = yield* engine.updateThreadMetadata(A, { gitSha: "abc123" })
            expect(readFileSync(files.b)).toEqual(bBefore)
            expect(updated.placement.rolloutPath).toBe(files.a)
            expect(updated.metadata.gitSha).toBe("abc123")
            const last = JSON.parse(readFileSync(files.a, "utf8").trimEnd().split("\n").at(-1)!) as {
              payload: { id: string; git: { commit_hash: string } }
            }
            expect(last.payload.id).toBe(A)
            expect(last.payload.git.commit_hash).toBe("abc123")
            expect((yield* engine.getThread(B))?.metadata.cwd).toBe("/repo/b")
            expect((yield* engine.verify()).ok).toBe(true)
          }))
      })
  )

  it.scoped("a metadata update fails ThreadNotFound when the thread has no file of its own, the other file unchanged", () =>
    Effect.gen(function*() {
      const paths = yield* tempHome
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const files = yield* twoThreads(engine)
          const bBefore = readFileSync(files.b)
          rmSync(files.a)
          pointRowAt(paths.database, A, files.b)
          const exit = yield* Effect.exit(engine.updateThreadMetadata(A, { gitSha: "abc123" }))
          expect(failureOf(exit)).toMatch(/ThreadNotFound/)
          expect(readFileSync(files.b)).toEqual(bBefore)
        }))
    }))

  it.scoped("an append goes to the thread's own file, or fails ThreadNotFound when it has none; never into another's", () =>
    Effect.gen(function*() {
      const paths = yield* tempHome
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const files = yield* twoThreads(engine)
          const bBefore = readFileSync(files.b)
          const aSize = statSync(files.a).size
          pointRowAt(paths.database, A, files.b)
          const appended = yield* engine.append(A, [message("for a")])
          expect(appended.rolloutPath).toBe(files.a)
          expect(statSync(files.a).size).toBeGreaterThan(aSize)
          expect(readFileSync(files.a, "utf8")).toContain("for a")
          expect(readFileSync(files.b)).toEqual(bBefore)
          expect(rowOf(paths.database, A).rollout_path).toBe(files.a)

          rmSync(files.a)
          pointRowAt(paths.database, A, files.b)
          const exit = yield* Effect.exit(engine.append(A, [message("for a, again")]))
          expect(failureOf(exit)).toMatch(/ThreadNotFound/)
          expect(readFileSync(files.b)).toEqual(bBefore)
        }))
    }))

  it.scoped("archive and unarchive move the thread's own file, never the file its row points at", () =>
    Effect.gen(function*() {
      const paths = yield* tempHome
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const files = yield* twoThreads(engine)
          const bBefore = readFileSync(files.b)
          pointRowAt(paths.database, A, files.b)
          const archived = yield* engine.archiveThread(A)
          expect(archived.placement.rolloutPath).toBe(join(paths.home, "archived_sessions", basename(files.a)))
          expect(existsSync(files.a)).toBe(false)
          expect(readFileSync(files.b)).toEqual(bBefore)
          expect((yield* engine.getThread(B))?.placement.archived).toBe(false)

          pointRowAt(paths.database, A, files.b)
          const unarchived = yield* engine.unarchiveThread(A)
          expect(unarchived.placement.rolloutPath).toBe(files.a)
          expect(readFileSync(files.b)).toEqual(bBefore)
          expect(existsSync(join(paths.home, "archived_sessions", basename(files.b)))).toBe(false)
          expect((yield* engine.verify()).ok).toBe(true)
        }))
    }))

  it.scoped("catch-up on open never projects another thread's file into a row pointing at it", () =>
    Effect.gen(function*() {
      const paths = yield* tempHome
      const files = yield* withEngine(paths, twoThreads)
      const aRow = rowOf(paths.database, A)
      pointRowAt(paths.database, A, files.b)
      // B's file grew behind the engine's back: the open catches it up.
      appendFileSync(
        files.b,
        JSON.stringify({ type: "event_msg", payload: { type: "user_message", message: "late" } }) + "\n"
      )
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const a = yield* engine.getThread(A)
          expect(a?.placement.rolloutPath).toBe(files.a)
          expect(a?.metadata.cwd).toBe("/repo/a")
          expect(rowOf(paths.database, A).file_size).toBe(aRow.file_size)
          expect(rowOf(paths.database, B).file_size).toBe(statSync(files.b).size)
          expect((yield* engine.verify()).ok).toBe(true)
        }))
    }))

  it.scoped("catch-up deletes a row pointing at another thread's file when its thread has no file anywhere (SPEC §11)", () =>
    Effect.gen(function*() {
      const paths = yield* tempHome
      const files = yield* withEngine(paths, twoThreads)
      rmSync(files.a)
      pointRowAt(paths.database, A, files.b)
      appendFileSync(
        files.b,
        JSON.stringify({ type: "event_msg", payload: { type: "user_message", message: "late" } }) + "\n"
      )
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          // The open's catch-up did it: a second finds nothing to do.
          expect(yield* engine.catchUp).toMatchObject({ caughtUp: 0, missingFiles: [] })
          expect(yield* engine.getThread(A)).toBeUndefined()
          expect(rowOf(paths.database, B).file_size).toBe(statSync(files.b).size)
        }))
    }))

  it.scoped("the projector never resumes a row from a file it points at that is another thread's", () =>
    Effect.gen(function*() {
      const paths = yield* tempHome
      const outcome = yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const files = yield* twoThreads(engine)
          const db = new Sqlite(paths.database, { timeout: 5000 })
          try {
            db.prepare("DELETE FROM threads WHERE id = ?").run(B)
          } finally {
            db.close()
          }
          pointRowAt(paths.database, A, files.b)
          const projector = yield* ThreadProjector
          const [outcome] = yield* projector.project([{ path: files.b, archived: false }], {
            from: "rows",
            defaultModelProvider: "openai"
          })
          // A's row is left as it was; B's file is projected as its own thread.
          expect(rowOf(paths.database, A).cwd).toBe("/repo/a")
          expect(rowOf(paths.database, B).cwd).toBe("/repo/b")
          return outcome
        }))
      expect(outcome).toMatchObject({ _tag: "Projected", threadId: B, created: true })
    }))

  it.scoped(
    "a file named for the thread whose first session meta names another thread is not its file, even once verified",
    () =>
      Effect.gen(function*() {
        const paths = yield* tempHome
        yield* withEngine(paths, (engine) =>
          Effect.gen(function*() {
            const files = yield* twoThreads(engine)
            // Verified (and remembered) as A's by this append.
            yield* engine.append(A, [message("for a")])
            // Replaced by a copy of B's log under A's name: a new inode at the same path.
            const copy = `${files.a}.tmp`
            copyFileSync(files.b, copy)
            renameSync(copy, files.a)
            const before = readFileSync(files.a)
            const exit = yield* Effect.exit(engine.append(A, [message("for a, again")]))
            expect(failureOf(exit)).toMatch(/ThreadNotFound/)
            expect(readFileSync(files.a)).toEqual(before)
          }))
      })
  )
})

describe("rolloutIdentity", () => {
  const name = (id: string) => `rollout-2026-01-02T03-04-05-${id}.jsonl`
  const meta = (id: string) =>
    JSON.stringify({ timestamp: "2026-01-02T03:04:05.000Z", type: "session_meta", payload: { id } })

  it.scoped("reads the name, then the first line: a session meta, a legacy header, a BOM, a compressed file", () =>
    Effect.gen(function*() {
      const { dir } = yield* tempHome
      const write = (file: string, text: string | Buffer) => {
        const path = join(dir, file)
        writeFileSync(path, text)
        return path
      }
      expect(rolloutIdentity(join(dir, name(A)))).toEqual({ _tag: "Missing" })
      // Nothing to read yet, or a first line still being written: the name decides.
      expect(belongsTo(write(name(A), ""), A)).toBe(true)
      expect(belongsTo(write(`x-${name(A)}`, ""), A)).toBe(false)
      const torn = write(`rollout-2026-01-02T03-04-06-${A}.jsonl`, meta(B))
      expect(belongsTo(torn, A)).toBe(true)
      appendFileSync(torn, "\n")
      expect(belongsTo(torn, A)).toBe(false)
      expect(rolloutIdentity(torn)).toMatchObject({ _tag: "Present", threadId: undefined })
      expect(belongsTo(write(name(B), `${meta(B)}\n`), B)).toBe(true)
      expect(belongsTo(join(dir, name(B)), A)).toBe(false)
      expect(belongsTo(join(dir, name(B)), B.toUpperCase())).toBe(true)
      const bom = write(
        `rollout-2026-01-02T03-04-07-${A}.jsonl`,
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          Buffer.from(`${meta(B)}\n`)
        ])
      )
      expect(belongsTo(bom, A)).toBe(false)
      const legacy = write(`rollout-2026-01-02T03-04-08-${A}.jsonl`, `${JSON.stringify({ id: B, timestamp: "x" })}\n`)
      expect(belongsTo(legacy, A)).toBe(false)
      // A first line that is not a session meta: the name decides.
      const other = write(`rollout-2026-01-02T03-04-09-${A}.jsonl`, `not json\n${meta(B)}\n`)
      expect(belongsTo(other, A)).toBe(true)
      // A first line over the cap: the name decides.
      const huge = `{"type":"session_meta","payload":{"id":"${B}","base_instructions":"${
        "z".repeat(5 * 1024 * 1024)
      }"}}\n`
      expect(belongsTo(write(`rollout-2026-01-02T03-04-12-${A}.jsonl`, huge), A)).toBe(true)
      const plain = write(`rollout-2026-01-02T03-04-10-${A}.jsonl`, `${meta(B)}\n${"x".repeat(200_000)}\n`)
      execFileSync("zstd", ["-q", "-f", "--rm", plain])
      expect(belongsTo(`${plain}.zst`, A)).toBe(false)
      const own = write(`rollout-2026-01-02T03-04-11-${A}.jsonl`, `${meta(A)}\n`)
      execFileSync("zstd", ["-q", "-f", "--rm", own])
      expect(belongsTo(`${own}.zst`, A)).toBe(true)
    }))

  it.scoped("a file rewritten in place to a shorter one is read again", () =>
    Effect.gen(function*() {
      const { dir } = yield* tempHome
      const path = join(dir, name(A))
      writeFileSync(path, `${meta(A)}\n${"y".repeat(1000)}\n`)
      expect(belongsTo(path, A)).toBe(true)
      writeFileSync(path, `${meta(B)}\n`)
      expect(belongsTo(path, A)).toBe(false)
    }))

  it.scoped("a page of paginated history belongs to the thread its history_base names, whatever its own meta id", () =>
    Effect.gen(function*() {
      const { dir } = yield* tempHome
      const page = (file: string, id: string, mode: string, base: string | null) => {
        const path = join(dir, file)
        const payload = { id, history_mode: mode, ...(base === null ? {} : { history_base: { thread_id: base } }) }
        writeFileSync(path, `${JSON.stringify({ type: "session_meta", payload })}\n`)
        return rolloutIdentity(path)
      }
      expect(page(`rollout-2026-01-03T03-04-05-${A}.jsonl`, B, "paginated", A))
        .toMatchObject({ _tag: "Present", threadId: A, continuation: true })
      expect(page(`rollout-2026-01-03T03-04-06-${A}.jsonl`, A, "paginated", A))
        .toMatchObject({ _tag: "Present", threadId: A, continuation: true })
      // Paginated without a base starts a thread; a legacy-mode base is no page.
      expect(page(`rollout-2026-01-03T03-04-07-${A}.jsonl`, A, "paginated", null))
        .toMatchObject({ _tag: "Present", threadId: A, continuation: false })
      expect(page(`rollout-2026-01-03T03-04-08-${A}.jsonl`, B, "legacy", A))
        .toMatchObject({ _tag: "Present", threadId: undefined, continuation: false })
      // A page of another thread than its name's is not this file's thread.
      expect(page(`rollout-2026-01-03T03-04-09-${A}.jsonl`, A, "paginated", B))
        .toMatchObject({ _tag: "Present", threadId: undefined, continuation: true })
    }))
})
