/**
 * The engine on PostgreSQL (issue 20): the same API over a schema hosts share. Each test has a
 * scratch schema of its own (`test/fixtures/dialects.ts`); a server that does not answer fails
 * the test saying so.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { cpSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { CORPUS_HOME } from "../../fixtures/corpus.js"
import { PG_URL, scratchSchema } from "../../fixtures/dialects.js"

const freshHome = (copyCorpus = false) => {
  const home = join(mkdtempSync(join(tmpdir(), "engine-pg-")), "home")
  if (copyCorpus) cpSync(CORPUS_HOME, home, { recursive: true })
  return home
}

const withEngine = <A, E>(
  options: { readonly home: string; readonly schema: string; readonly hostId?: string },
  use: (engine: Engine.Engine) => Effect.Effect<A, E>
) =>
  Effect.flatMap(Engine.Engine, use).pipe(
    Effect.provide(Layer.fresh(Engine.layer({
      home: options.home,
      database: `${PG_URL}?schema=${options.schema}`,
      hostId: options.hostId ?? "host-a",
      openBackfill: false
    })))
  )

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
})
