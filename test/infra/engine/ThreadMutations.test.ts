import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { promisify } from "node:util"
import { turnsOf } from "../../../src/domain/ThreadState.js"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { listRolloutFiles } from "../../../src/infra/rollout/RolloutFiles.js"
import { foldRolloutFile } from "../../../src/infra/rollout/RolloutFold.js"

const appender = join(import.meta.dirname, "../../fixtures/appender.ts")
const patcher = join(import.meta.dirname, "../../fixtures/patcher.ts")

const freshHome = () => {
  const dir = mkdtempSync(join(tmpdir(), "mutations-"))
  return { home: join(dir, "home"), database: join(dir, "state.sqlite") }
}

const withEngine = <A, E>(
  paths: { home: string; database: string },
  use: (engine: Engine.Engine) => Effect.Effect<A, E, SqlClient.SqlClient>
) => Effect.flatMap(Engine.Engine, use).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))

const lastLine = (path: string) =>
  JSON.parse(readFileSync(path, "utf8").trimEnd().split("\n").at(-1)!) as {
    type: string
    payload: { git?: unknown }
  }

const git = (record: Engine.ThreadRecord | undefined) =>
  record && [record.metadata.gitSha, record.metadata.gitBranch, record.metadata.gitOriginUrl]

describe("metadata update", () => {
  it.live("absent keeps, null clears and a string sets each git field, recorded as a session meta in the rollout", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({
            cwd: "/repo",
            originator: "host",
            git: { commit_hash: "aaa", branch: "main", repository_url: "git@x:r.git" }
          })
          const id = created.metadata.id
          const updated = yield* engine.updateThreadMetadata(id, { gitSha: "bbb", gitBranch: null })
          expect(git(updated)).toEqual(["bbb", null, "git@x:r.git"])
          const line = lastLine(created.placement.rolloutPath)
          expect(line.type).toBe("session_meta")
          expect(line.payload).toMatchObject({ id, cwd: "/repo", originator: "host" })
          expect(line.payload.git).toEqual({ commit_hash: "bbb", branch: null, repository_url: "git@x:r.git" })
          const again = yield* engine.updateThreadMetadata(id, { gitOriginUrl: null, gitBranch: "dev" })
          expect(git(again)).toEqual(["bbb", "dev", null])
          yield* engine.rebuild()
          expect(git(yield* engine.getThread(id))).toEqual(["bbb", "dev", null])
          expect((yield* engine.verify()).differences).toEqual([])
        }))
    }))

  it.live("name and memory mode follow the same rules, recorded as a name event and a session meta copy that a rebuild replays", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/repo", memory_mode: "enabled", git: { branch: "main" } })
          const id = created.metadata.id
          const fields = (r: Engine.ThreadRecord | undefined) =>
            r && [r.metadata.name, r.metadata.memoryMode, r.metadata.gitBranch]
          const named = yield* engine.updateThreadMetadata(id, { name: "Billing", memoryMode: "disabled" })
          expect(fields(named)).toEqual(["Billing", "disabled", "main"])
          const lines = readFileSync(created.placement.rolloutPath, "utf8").trimEnd().split("\n").slice(-2)
            .map((l) => JSON.parse(l) as { type: string; payload: Record<string, unknown> })
          expect(lines.map((l) => l.type)).toEqual(["session_meta", "event_msg"])
          expect(lines[0]!.payload).toMatchObject({ id, memory_mode: "disabled", git: { branch: "main" } })
          expect(lines[1]!.payload).toEqual({ type: "thread_name_updated", thread_id: id, thread_name: "Billing" })
          // Absent keeps: a git patch leaves name and memory mode as they are.
          expect(fields(yield* engine.updateThreadMetadata(id, { gitBranch: "dev" }))).toEqual([
            "Billing",
            "disabled",
            "dev"
          ])
          expect(fields(yield* engine.updateThreadMetadata(id, { name: null }))).toEqual([null, "disabled", "dev"])
          expect(fields(yield* engine.updateThreadMetadata(id, { memoryMode: null }))).toEqual([null, null, "dev"])
          yield* engine.updateThreadMetadata(id, { name: "Final", memoryMode: "enabled" })
          const live = yield* engine.getThread(id)
          yield* engine.rebuild()
          expect(yield* engine.getThread(id)).toEqual(live)
          expect(fields(live)).toEqual(["Final", "enabled", "dev"])
          expect((yield* engine.verify()).differences).toEqual([])
        }))
    }))

  it.live("an empty patch or an empty string is rejected and nothing is written", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/repo" })
          const before = readFileSync(created.placement.rolloutPath, "utf8")
          for (const patch of [{}, { gitSha: "" }, { gitBranch: undefined }, { name: "" }, { memoryMode: "" }]) {
            const exit = yield* Effect.exit(engine.updateThreadMetadata(created.metadata.id, patch))
            expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/InvalidInput|patch/)
          }
          expect(readFileSync(created.placement.rolloutPath, "utf8")).toBe(before)
        }))
    }))

  it.live("a thread with a file but no row is projected from its file before the patch applies", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const id = "019a9f10-1111-7222-8333-444455556666"
      const dir = join(paths.home, "sessions/2025/11/20")
      mkdirSync(dir, { recursive: true })
      const path = join(dir, `rollout-2025-11-20T16-59-09-${id}.jsonl`)
      writeFileSync(
        path,
        [
          {
            timestamp: "2025-11-20T16:59:09.000Z",
            type: "session_meta",
            payload: { id, cwd: "/w", git: { branch: "old" } }
          },
          {
            timestamp: "2025-11-20T17:00:00.000Z",
            type: "event_msg",
            payload: { type: "user_message", message: "hello" }
          }
        ].map((l) => JSON.stringify(l) + "\n").join("")
      )
      const record = yield* withEngine(paths, (engine) => engine.updateThreadMetadata(id, { gitSha: "c0ffee" }))
      expect(git(record)).toEqual(["c0ffee", "old", null])
      expect(record.metadata).toMatchObject({ cwd: "/w", title: "hello" })
    }))

  it.live(
    "patches of different fields made at once by three processes, among appends, are all kept",
    () =>
      Effect.gen(function*() {
        const paths = freshHome()
        const created = yield* withEngine(paths, (engine) => engine.createThread({ cwd: "/repo" }))
        const id = created.metadata.id
        const rounds = 8
        const others = [["gitBranch", "b"], ["gitOriginUrl", "u"]].map(([field, value]) =>
          promisify(execFile)(process.execPath, [
            "--import",
            "tsx",
            patcher,
            paths.home,
            paths.database,
            id,
            field!,
            value!,
            String(rounds)
          ])
        )
        yield* withEngine(paths, (engine) =>
          Effect.forEach(
            Array.from({ length: rounds }, (_, i) => i),
            (i) => engine.updateThreadMetadata(id, { gitSha: `s${i}` })
          ))
        yield* Effect.promise(() => Promise.all(others))
        yield* withEngine(paths, (engine) =>
          Effect.gen(function*() {
            // A lost update would leave one field at an older round's value.
            expect(git(yield* engine.getThread(id))).toEqual([`s${rounds - 1}`, `b${rounds - 1}`, `u${rounds - 1}`])
            expect((yield* engine.verify()).differences).toEqual([])
          }))
      }),
    120_000
  )

  it.live("an unknown thread is ThreadNotFound", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      const exit = yield* Effect.exit(withEngine(paths, (engine) =>
        Effect.zipRight(
          engine.createThread({ cwd: "/" }),
          engine.updateThreadMetadata("019a9f10-0000-7000-8000-000000000000", { gitSha: "x" })
        )))
      expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/ThreadNotFound/)
    }))
})

describe("archive and unarchive", () => {
  it.live("archiving moves the file flat under archived_sessions and marks the row; unarchiving moves it back by its name's date", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/repo" })
          const id = created.metadata.id
          const name = basename(created.placement.rolloutPath)
          const before = Date.now()
          const archived = yield* engine.archiveThread(id)
          expect(archived.placement.rolloutPath).toBe(join(paths.home, "archived_sessions", name))
          expect(archived.placement.archived).toBe(true)
          expect(archived.placement.archivedAt).toBeGreaterThanOrEqual(before - 1000)
          expect(existsSync(created.placement.rolloutPath)).toBe(false)
          // Archiving again changes nothing.
          expect(yield* engine.archiveThread(id)).toEqual(archived)
          expect((yield* engine.listThreads({ archived: true })).items.map((t) => t.metadata.id)).toEqual([id])
          // A rebuild reads the archive time back from the file.
          yield* engine.rebuild()
          expect(yield* engine.getThread(id)).toEqual(archived)
          const restored = yield* engine.unarchiveThread(id)
          expect(restored.placement).toMatchObject({
            rolloutPath: created.placement.rolloutPath,
            archived: false,
            archivedAt: null
          })
          expect(restored.metadata).toEqual(created.metadata)
          yield* engine.append(id, [{ type: "event_msg", payload: { type: "user_message", message: "back" } }])
          expect((yield* engine.verify()).differences).toEqual([])
        }))
    }))

  it.live("archiving a thread archives its descendants too; unarchiving restores the thread only", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const spawn = (parent: string) =>
            Effect.map(engine.createThread({ cwd: "/w", parent_thread_id: parent }), (t) => t.metadata.id)
          const root = (yield* engine.createThread({ cwd: "/w" })).metadata.id
          const other = (yield* engine.createThread({ cwd: "/w" })).metadata.id
          const child = yield* spawn(root)
          const grandchild = yield* spawn(child)
          const sibling = yield* spawn(other)
          const archived = (id: string) => Effect.map(engine.getThread(id), (r) => r?.placement.archived)
          yield* engine.archiveThread(child)
          expect(yield* Effect.forEach([root, child, grandchild], archived)).toEqual([false, true, true])
          yield* engine.archiveThread(root)
          const all = [root, child, grandchild, other, sibling]
          expect(yield* Effect.forEach(all, archived)).toEqual([true, true, true, false, false])
          for (const id of [root, child, grandchild]) {
            const record = yield* engine.getThread(id)
            expect(record?.placement.rolloutPath).toBe(
              join(paths.home, "archived_sessions", basename(record!.placement.rolloutPath))
            )
            expect(existsSync(record!.placement.rolloutPath)).toBe(true)
          }
          yield* engine.unarchiveThread(root)
          expect(yield* Effect.forEach(all, archived)).toEqual([false, true, true, false, false])
          const live = yield* Effect.forEach(all, engine.getThread)
          yield* engine.rebuild()
          expect(yield* Effect.forEach(all, engine.getThread)).toEqual(live)
        }))
    }))

  it.live(
    "appends from another process while this one archives and unarchives the thread all land in its one file",
    () =>
      Effect.gen(function*() {
        const paths = freshHome()
        const created = yield* withEngine(paths, (engine) => engine.createThread({ cwd: "/a" }))
        const id = created.metadata.id
        let otherDone = false
        const other = promisify(execFile)(process.execPath, [
          "--import",
          "tsx",
          appender,
          paths.home,
          paths.database,
          id,
          "40"
        ])
          .finally(() => {
            otherDone = true
          })
        let moves = 0
        yield* withEngine(paths, (engine) =>
          Effect.gen(function*() {
            for (; !otherDone && moves < 1000; moves++) {
              yield* moves % 2 === 0 ? engine.archiveThread(id) : engine.unarchiveThread(id)
            }
          }))
        yield* Effect.promise(() => other)
        expect(moves).toBeGreaterThan(1)
        yield* withEngine(paths, (engine) =>
          Effect.gen(function*() {
            const listing = yield* listRolloutFiles(paths.home)
            expect(listing.files).toHaveLength(1)
            const folded = yield* foldRolloutFile(listing.files[0]!.path, { defaultModelProvider: "openai" })
            expect(turnsOf(folded.state)).toHaveLength(40)
            const record = yield* engine.getThread(id)
            expect(record?.placement.rolloutPath).toBe(listing.files[0]!.path)
            expect(record?.metadata).toEqual(folded.state.metadata)
            expect((yield* engine.verify()).differences).toEqual([])
          }))
      }),
    120_000
  )
})

describe("thread delete", () => {
  const operationalRows = (id: string) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const count = (table: string, column: string) =>
        Effect.map(sql.unsafe<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`, [id]), (r) =>
          r[0]!.n)
      return {
        threads: yield* count("threads", "id"),
        tools: yield* count("thread_dynamic_tools", "thread_id"),
        turns: yield* count("thread_turns", "thread_id"),
        edges: yield* count("thread_spawn_edges", "child_thread_id"),
        memory: yield* count("thread_memory", "thread_id"),
        stage1: yield* count("stage1_outputs", "thread_id"),
        jobs: yield* count("jobs", "job_key"),
        goals: yield* count("thread_goals", "thread_id"),
        logs: yield* count("logs", "thread_id")
      }
    })
  const seedOperational = (id: string) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO thread_memory (thread_id, trace_summary, memory_summary, updated_at_ms) VALUES (${id}, 't', 'm', 1)`
      yield* sql`INSERT INTO stage1_outputs (thread_id, source_updated_at_ms, raw_memory, rollout_summary, generated_at_ms)
        VALUES (${id}, 1, 'r', 's', 1)`
      yield* sql`INSERT INTO jobs (kind, job_key, status, retry_remaining) VALUES ('memory_stage1', ${id}, 'done', 3)`
      yield* sql`INSERT INTO thread_goals (thread_id, goal_id, objective, status, created_at_ms, updated_at_ms)
        VALUES (${id}, 'g', 'o', 'active', 1, 1)`
      yield* sql`INSERT INTO logs (ts, ts_nanos, level, target, message, feedback_log_body, thread_id, process_uuid, estimated_bytes)
        VALUES (1, 0, 'INFO', 't', 'm', 'b', ${id}, 'p', 1)`
    })

  it.live("deleting a thread removes every file of it and every row keyed on it; a rebuild does not bring it back", () =>
    Effect.gen(function*() {
      const paths = freshHome()
      yield* withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const parent = (yield* engine.createThread({ cwd: "/w" })).metadata.id
          const created = yield* engine.createThread({
            cwd: "/w",
            parent_thread_id: parent,
            dynamic_tools: [{ name: "t", description: "d", input_schema: {} }]
          })
          const id = created.metadata.id
          const kept = (yield* engine.createThread({ cwd: "/w" })).metadata.id
          yield* engine.append(id, [{ type: "event_msg", payload: { type: "user_message", message: "hi" } }])
          yield* engine.archiveThread(id)
          // A second file of the thread: a compressed copy left in the date folder.
          const copy = created.placement.rolloutPath.replace(/\.jsonl$/, ".jsonl.zst")
          writeFileSync(copy, "")
          yield* seedOperational(id)
          yield* seedOperational(kept)
          const all = { threads: 1, tools: 1, turns: 1, edges: 1, memory: 1, stage1: 1, jobs: 1, goals: 1, logs: 1 }
          expect(yield* operationalRows(id)).toEqual(all)
          const archivedPath = (yield* engine.getThread(id))!.placement.rolloutPath
          const deleted = yield* engine.deleteThread(id)
          expect([...deleted].sort()).toEqual([archivedPath, copy].sort())
          expect(existsSync(archivedPath) || existsSync(copy)).toBe(false)
          const none = { threads: 0, tools: 0, turns: 0, edges: 0, memory: 0, stage1: 0, jobs: 0, goals: 0, logs: 0 }
          expect(yield* operationalRows(id)).toEqual(none)
          expect(yield* operationalRows(kept)).toEqual({ ...all, tools: 0, turns: 0, edges: 0 })
          expect(yield* engine.getThread(id)).toBeUndefined()
          yield* engine.rebuild()
          expect(yield* engine.getThread(id)).toBeUndefined()
          expect((yield* engine.listThreads({ archived: "all" })).items.map((t) => t.metadata.id).sort()).toEqual(
            [parent, kept].sort()
          )
          for (const again of [engine.deleteThread(id), engine.append(id, [])]) {
            const exit = yield* Effect.exit<unknown, unknown, never>(again)
            expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/ThreadNotFound/)
          }
        }))
    }))

  it.live(
    "a delete while another process appends to the thread leaves neither file nor row, and the appender fails",
    () =>
      Effect.gen(function*() {
        const paths = freshHome()
        const created = yield* withEngine(paths, (engine) => engine.createThread({ cwd: "/a" }))
        const id = created.metadata.id
        const other = promisify(execFile)(process.execPath, [
          "--import",
          "tsx",
          appender,
          paths.home,
          paths.database,
          id,
          "100000"
        ]).then(() => "finished", (error: { stderr: string }) => error.stderr)
        // Delete once the other process's appends are landing.
        const lines = () =>
          existsSync(created.placement.rolloutPath)
            ? readFileSync(created.placement.rolloutPath, "utf8").split("\n").length
            : 0
        for (let waited = 0; lines() < 20 && waited < 60_000; waited += 50) yield* Effect.sleep(50)
        expect(lines()).toBeGreaterThanOrEqual(20)
        yield* withEngine(paths, (engine) => engine.deleteThread(id))
        expect(yield* Effect.promise(() => other)).toMatch(/ThreadNotFound/)
        yield* withEngine(paths, (engine) =>
          Effect.gen(function*() {
            expect((yield* listRolloutFiles(paths.home)).files).toEqual([])
            expect(yield* engine.getThread(id)).toBeUndefined()
            yield* engine.rebuild()
            expect(yield* engine.getThread(id)).toBeUndefined()
            expect((yield* engine.verify()).differences).toEqual([])
          }))
      }),
    120_000
  )
})
