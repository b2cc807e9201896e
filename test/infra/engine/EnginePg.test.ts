/**
 * The engine on PostgreSQL (issue 20): the same API over a schema hosts share. Each test has a
 * scratch schema of its own (`test/fixtures/dialects.ts`); a server that does not answer fails
 * the test saying so.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { cpSync, mkdirSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { listRolloutFiles } from "../../../src/infra/rollout/RolloutFiles.js"
import { CORPUS_HOME } from "../../fixtures/corpus.js"
import { connectPg, PG_URL, scratchSchema } from "../../fixtures/dialects.js"

const freshHome = (copyCorpus = false) => {
  const home = join(mkdtempSync(join(tmpdir(), "engine-pg-")), "home")
  if (copyCorpus) cpSync(CORPUS_HOME, home, { recursive: true })
  return home
}

interface EngineAt {
  readonly home: string
  readonly schema: string
  readonly hostId?: string
}

const engineLayer = (options: EngineAt) =>
  Layer.fresh(Engine.layer({
    home: options.home,
    database: `${PG_URL}?schema=${options.schema}`,
    hostId: options.hostId ?? "host-a",
    openBackfill: false
  }))

const withEngine = <A, E>(options: EngineAt, use: (engine: Engine.Engine) => Effect.Effect<A, E>) =>
  Effect.flatMap(Engine.Engine, use).pipe(Effect.provide(engineLayer(options)))

/** An engine open for the rest of the scope (two at once: two hosts). */
const openEngine = (options: EngineAt) =>
  Effect.map(Layer.build(engineLayer(options)), (context) => Context.get(context, Engine.Engine))

const ids = (page: { readonly items: ReadonlyArray<Engine.ThreadRecord> }) =>
  page.items.map((r) => r.metadata.id).sort()

const userMessage = (message: string) => ({
  type: "event_msg" as const,
  payload: { type: "user_message" as const, message }
})

describe("Engine on PostgreSQL", () => {
  it.live("creates a thread, projects appended items and lists and pages threads", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const home = freshHome()
      const result = yield* withEngine({ home, schema }, (engine) =>
        Effect.gen(function*() {
          const created = yield* engine.createThread({ cwd: "/work/app", source: "cli", model_provider: "acme" })
          yield* engine.append(created.metadata.id, [
            { type: "turn_context", payload: { cwd: "/work/app", model: "gpt-x", effort: "high" } },
            userMessage("fix the build")
          ])
          for (let i = 0; i < 3; i++) {
            const other = yield* engine.createThread({ cwd: "/work/other" })
            yield* engine.append(other.metadata.id, [userMessage(`thread ${i}`)])
          }
          const record = yield* engine.getThread(created.metadata.id)
          const first = yield* engine.listThreads({ limit: 2 })
          const second = yield* engine.listThreads({ limit: 2, cursor: first.nextCursor! })
          const inCwd = yield* engine.listThreads({ cwd: ["/work/app", "/work/none"], modelProviders: ["acme"] })
          const turns = yield* engine.listTurns(created.metadata.id, {})
          const detail = yield* engine.getThreadDetail(created.metadata.id)
          return { record, first, second, inCwd, turns, detail }
        }))
      expect(result.record?.metadata).toMatchObject({
        cwd: "/work/app",
        modelProvider: "acme",
        model: "gpt-x",
        title: "fix the build"
      })
      expect(result.record?.placement.projectedLines).toBe(3)
      const paged = [...result.first.items, ...result.second.items].map((r) => r.metadata.id)
      expect(new Set(paged).size).toBe(4)
      expect(result.second.nextCursor).toBeNull()
      expect(result.inCwd.items.map((r) => r.metadata.title)).toEqual(["fix the build"])
      expect(result.turns.items).toHaveLength(1)
      expect(result.detail.latestModel).toBe("gpt-x")
    })))

  it.live("backfills, rebuilds, reconciles and verifies a home", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const home = freshHome(true)
      const out = yield* withEngine({ home, schema }, (engine) =>
        Effect.gen(function*() {
          const backfill = yield* engine.backfill()
          const listed = yield* engine.listThreads({ limit: 100, archived: "all" })
          const rebuild = yield* engine.rebuild()
          const relisted = yield* engine.listThreads({ limit: 100, archived: "all" })
          const reconcile = yield* engine.reconcile({ repair: false })
          const verify = yield* engine.verify()
          return { backfill, listed, rebuild, relisted, reconcile, verify }
        }))
      expect(out.backfill.status).toBe("complete")
      expect(out.listed.items.length).toBeGreaterThan(0)
      expect(out.rebuild.status).toBe("complete")
      expect(out.relisted.items).toEqual(out.listed.items)
      expect(out.reconcile).toMatchObject({ missing: [], orphaned: [], drifted: [] })
      expect(out.verify.differences).toEqual([])
      expect(out.verify.ok).toBe(true)
      // Every projection table the schema has, compared with rows on both sides.
      expect(out.verify.tables.map((t) => t.table)).toEqual([
        "threads",
        "thread_dynamic_tools",
        "thread_turns",
        "thread_spawn_edges",
        "thread_messages"
      ])
      const threads = out.verify.tables.find((t) => t.table === "threads")!
      expect(threads.liveRows).toBe(out.listed.items.length)
      expect(threads.rebuiltRows).toBe(threads.liveRows)
    })))

  it.live("two hosts on two homes share one schema: listing spans both, each replays and checks only its own threads", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const homeA = freshHome(true)
      const homeB = freshHome()
      const a = yield* openEngine({ home: homeA, schema, hostId: "host-a" })
      const b = yield* openEngine({ home: homeB, schema, hostId: "host-b" })
      const made = yield* Effect.forEach(
        [1, 2],
        (i) =>
          Effect.flatMap(
            b.createThread({ cwd: `/b/${i}` }),
            (t) => Effect.as(b.append(t.metadata.id, [userMessage(`b says ${i}`)]), t.metadata.id)
          )
      )
      const [backfillA, backfillB] = yield* Effect.all([a.backfill(), b.backfill()], { concurrency: 2 })
      expect([backfillA.status, backfillB.status]).toEqual(["complete", "complete"])
      expect(backfillA.failed).toBe(0)
      const corpus = (yield* listRolloutFiles(homeA)).files.length
      const everything = ids(yield* a.listThreads({ limit: 100, archived: "all" }))
      expect(everything).toHaveLength(corpus + 2)
      expect(ids(yield* b.listThreads({ limit: 100, archived: "all" }))).toEqual(everything)
      expect(everything).toEqual(expect.arrayContaining(made))

      // Each host's files are on its own disk: catch-up, reconcile and verify see only its threads.
      expect((yield* a.catchUp).missingFiles).toEqual([])
      expect(yield* a.reconcile({ repair: true })).toMatchObject({ missing: [], orphaned: [], drifted: [] })
      expect(yield* b.reconcile({ repair: true })).toMatchObject({ missing: [], orphaned: [], drifted: [] })
      const verifyA = yield* a.verify()
      const verifyB = yield* b.verify()
      expect([verifyA.ok, verifyB.ok]).toEqual([true, true])
      const threadRows = (report: typeof verifyA) => report.tables.find((t) => t.table === "threads")
      expect(threadRows(verifyA)).toEqual({ table: "threads", liveRows: corpus, rebuiltRows: corpus })
      expect(threadRows(verifyB)).toEqual({ table: "threads", liveRows: 2, rebuiltRows: 2 })

      // A rebuild of one host leaves the other's rows as they were.
      const before = yield* Effect.forEach(made, (id) => b.getThread(id))
      expect((yield* a.rebuild()).status).toBe("complete")
      expect(yield* Effect.forEach(made, (id) => a.getThread(id))).toEqual(before)
      expect(ids(yield* b.listThreads({ limit: 100, archived: "all" }))).toEqual(everything)
      expect((yield* b.verify()).ok).toBe(true)
    })))

  it.live("a rollout copied to a second host is refused there, naming both hosts; the first host's row stays", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const homeA = freshHome(true)
      const homeB = freshHome()
      const copied = (yield* listRolloutFiles(homeA)).files[0]!
      const copy = join(homeB, relative(homeA, copied.path))
      mkdirSync(dirname(copy), { recursive: true })
      cpSync(copied.path, copy)
      const a = yield* openEngine({ home: homeA, schema, hostId: "host-a" })
      yield* a.backfill()
      const listed = (yield* a.listThreads({ limit: 100, archived: "all" })).items
      const thread = listed.find((r) => r.placement.rolloutPath === copied.path)!
      const b = yield* openEngine({ home: homeB, schema, hostId: "host-b" })
      const report = yield* b.backfill()
      expect(report.failures).toEqual([{
        _tag: "Failed",
        path: copy,
        reason: `thread ${thread.metadata.id} is projected by host "host-a"; this host is "host-b": ` +
          "one rollout copied to two hosts is projected by the first only"
      }])
      expect(yield* a.getThread(thread.metadata.id)).toEqual(thread)
      // Nor delete it: the thread is host-a's (its rows stay, and so does host-b's copy).
      const deleted = yield* Effect.flip(b.deleteThread(thread.metadata.id))
      expect(deleted).toMatchObject({
        _tag: "InvalidInput",
        what: `thread ${thread.metadata.id}`,
        reason: `it is host "host-a"'s (this host is "host-b"): a host deletes only its own threads`
      })
      expect(yield* a.getThread(thread.metadata.id)).toEqual(thread)
      expect((yield* listRolloutFiles(homeB)).files.map((f) => f.path)).toEqual([copy])
      // Nor can a write that raced the check move the row: the trigger names both hosts too.
      const raw = yield* connectPg(schema, { hostId: "host-b" })
      const refused = yield* Effect.flip(
        raw.sql`UPDATE threads SET projected_offset = 0 WHERE id = ${thread.metadata.id}`
      )
      expect(String(refused.cause)).toContain(
        `thread ${thread.metadata.id} is projected by host "host-a"; this host is "host-b"`
      )
      expect(yield* a.getThread(thread.metadata.id)).toEqual(thread)
    })))

  it.live("mutations run under the host's lock: patch, archive, unarchive, close with its child, delete", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const home = freshHome()
      const engine = yield* openEngine({ home, schema })
      const parent = yield* engine.createThread({ cwd: "/w" })
      const child = yield* engine.createThread({ cwd: "/w", parent_thread_id: parent.metadata.id })
      const id = parent.metadata.id
      const patched = yield* engine.updateThreadMetadata(id, { name: "renamed", gitBranch: "main" })
      expect([patched.metadata.name, patched.metadata.gitBranch]).toEqual(["renamed", "main"])
      const archived = yield* engine.archiveThread(id)
      expect(archived.placement.archived).toBe(true)
      expect(archived.placement.rolloutPath).toContain("archived_sessions")
      // Its descendants with it; unarchiving restores the thread only.
      expect((yield* engine.getThread(child.metadata.id))?.placement.archived).toBe(true)
      expect((yield* engine.unarchiveThread(id)).placement.archived).toBe(false)
      expect((yield* engine.unarchiveThread(child.metadata.id)).placement.archived).toBe(false)
      expect(yield* engine.agentChildren(id)).toEqual([child.metadata.id])
      expect(yield* engine.agentDescendants(id)).toEqual([child.metadata.id])
      expect(yield* engine.agentAncestors(child.metadata.id)).toEqual([id])
      expect(yield* engine.closeThread(id, { cascade: true })).toEqual([child.metadata.id, id])
      expect(yield* engine.agentChildren(id, "open")).toEqual([])
      const deleted = yield* engine.deleteThread(child.metadata.id)
      expect(deleted).toHaveLength(1)
      expect(yield* engine.getThread(child.metadata.id)).toBeUndefined()
      expect((yield* engine.verify()).ok).toBe(true)
    })))

  it.live("two engines of one host appending to one thread at once: every line projected once, live equal to rebuilt", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const home = freshHome()
      const first = yield* openEngine({ home, schema })
      const second = yield* openEngine({ home, schema })
      const { metadata: { id } } = yield* first.createThread({ cwd: "/w" })
      const appends = (engine: Engine.Engine, who: string) =>
        Effect.forEach(
          Array.from({ length: 15 }, (_, i) => i),
          (i) => engine.append(id, [userMessage(`${who} ${i}`), userMessage(`${who} ${i} again`)]),
          { discard: true }
        )
      yield* Effect.all([appends(first, "one"), appends(second, "two")], { concurrency: 2 })
      const record = yield* second.getThread(id)
      expect(record?.placement.projectedLines).toBe(1 + 2 * 15 * 2)
      const found = yield* first.searchThreads({ query: "again" })
      expect(found.items.map((hit) => [hit.thread.metadata.id, hit.matches])).toEqual([[id, 2 * 15]])
      expect((yield* first.verify()).differences).toEqual([])
    })))
})
