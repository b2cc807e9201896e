import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { MessageKind } from "../../../src/domain/ThreadMessages.js"
import * as Engine from "../../../src/infra/engine/Engine.js"
import type { WritableItem } from "../../../src/infra/engine/Engine.js"
import type { Dialect } from "../../../src/infra/sql/SqlDatabase.js"
import { PG_URL, scratchSchema, TEST_HOST } from "../../fixtures/dialects.js"

/**
 * A home in a folder removed after `use`, and a database: a file beside it, or a scratch
 * PostgreSQL schema (its URL and a host id), dropped after `use`.
 */
const homeOn = (dialect: Dialect) =>
<A, E>(
  use: (paths: { readonly home: string; readonly database: string; readonly hostId?: string }) => Effect.Effect<A, E>
) =>
  Effect.scoped(Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "search-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const home = join(dir, "home")
    if (dialect === "sqlite") return yield* use({ home, database: join(dir, "state.sqlite") })
    const schema = yield* scratchSchema
    return yield* use({ home, database: `${PG_URL}?schema=${schema}`, hostId: TEST_HOST })
  }))

const withEngine = <A, E>(
  paths: {
    readonly home: string
    readonly database: string
    readonly hostId?: string
    readonly messageKinds?: ReadonlyArray<MessageKind>
    readonly searchScoringBudget?: number
  },
  use: (engine: Engine.Engine) => Effect.Effect<A, E>
) => Effect.flatMap(Engine.Engine, use).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))

const user = (message: string): WritableItem => ({ type: "event_msg", payload: { type: "user_message", message } })
const agent = (message: string): WritableItem => ({ type: "event_msg", payload: { type: "agent_message", message } })
const assistant = (text: string): WritableItem => ({
  type: "response_item",
  payload: { type: "message", role: "assistant", content: [{ type: "output_text", text }] }
})
const toolOutput = (output: string): WritableItem => ({
  type: "response_item",
  payload: { type: "function_call_output", call_id: "c1", output }
})

/** Creates a thread (in `cwd`, `source`) holding `items`; its id. */
const thread = (
  engine: Engine.Engine,
  items: ReadonlyArray<WritableItem>,
  meta: { readonly cwd?: string; readonly source?: string; readonly model_provider?: string } = {}
) =>
  Effect.gen(function*() {
    const created = yield* engine.createThread({ cwd: meta.cwd ?? "/work/app", source: meta.source ?? "cli", ...meta })
    yield* engine.append(created.metadata.id, items)
    return created.metadata.id
  })

const ids = (page: Engine.SearchRecordPage) => page.items.map((hit) => hit.thread.metadata.id)

describe.each(["sqlite", "pg"] as const)("searchThreads on %s", (dialect) => {
  const withHome = homeOn(dialect)

  it.live("ranks a thread that says the phrase three times above one that says it once, and ignores ones without it", () =>
    withHome((paths) =>
      withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const once = yield* thread(engine, [user("the flaky login test fails again"), agent("looking into it")])
          const thrice = yield* thread(engine, [
            user("where is the flaky login test"),
            agent("the flaky login test lives in auth"),
            user("fix the flaky login test please")
          ])
          yield* thread(engine, [user("a flaky network and a login page")])
          const page = yield* engine.searchThreads({ query: "\"flaky login\"" })
          expect(ids(page)).toEqual([thrice, once])
          expect(page.exhaustive).toBe(true)
          expect(page.items[0]!.matches).toBe(3)
          expect(page.items[0]!.score).toBeLessThan(page.items[1]!.score)
          // Bare words must all match, in any order: the third thread has both.
          expect((yield* engine.searchThreads({ query: "login flaky" })).items).toHaveLength(3)
        }))
    ))

  it.live("a snippet marks the matched words in a bounded window of its best message", () =>
    withHome((paths) =>
      withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const filler = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ")
          const id = yield* thread(engine, [user(`${filler} the Flaky login test ${filler}`)])
          const [hit] = (yield* engine.searchThreads({ query: "flaky login" })).items
          expect(hit!.thread.metadata.id).toBe(id)
          expect(hit!.message).toEqual({ position: 2, turnIndex: 0, kind: "user" })
          const { highlights, text } = hit!.snippet
          expect(highlights.map(([start, end]) => text.slice(start, end))).toEqual(["Flaky", "login"])
          expect(text.startsWith("…") && text.endsWith("…")).toBe(true)
          expect(text.split(" ").length).toBeLessThanOrEqual(20)
        }))
    ))

  it.live("matching folds case and accents, and takes prefixes, OR, NOT and punctuation", () =>
    withHome((paths) =>
      withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const cafe = yield* thread(engine, [user("Meet at the Café Über")])
          const naive = yield* thread(engine, [assistant("a naïve login-test fix")])
          const search = (query: string) => Effect.map(engine.searchThreads({ query }), ids)
          expect(yield* search("cafe uber")).toEqual([cafe])
          expect(yield* search("CAFÉ")).toEqual([cafe])
          expect(yield* search("naiv*")).toEqual([naive])
          expect(yield* search("login-test")).toEqual([naive])
          expect(yield* search("why login-test?")).toEqual([])
          expect((yield* search("cafe OR naive")).sort()).toEqual([cafe, naive].sort())
          expect(yield* search("fix NOT cafe")).toEqual([naive])
          expect(yield* search("\"login fix\"")).toEqual([])
        }))
    ))

  it.live("takes the list's filters: cwd, archived, source kinds, providers and an updated-at range", () =>
    withHome((paths) =>
      withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const a = yield* thread(engine, [user("deploy the service")], { cwd: "/work/a", source: "cli" })
          const b = yield* thread(engine, [user("deploy the service")], {
            cwd: "/work/b",
            source: "vscode",
            model_provider: "acme"
          })
          const archived = yield* thread(engine, [user("deploy the service")], { cwd: "/work/a" })
          yield* engine.archiveThread(archived)
          const search = (filters: Omit<Parameters<Engine.Engine["searchThreads"]>[0], "query">) =>
            Effect.map(engine.searchThreads({ query: "deploy", ...filters }), (page) => ids(page).sort())
          expect(yield* search({})).toEqual([a, b].sort())
          expect(yield* search({ cwd: "/work/a/." })).toEqual([a])
          expect(yield* search({ cwd: [] })).toEqual([])
          expect(yield* search({ archived: "only" })).toEqual([archived])
          expect(yield* search({ archived: "all" })).toEqual([a, b, archived].sort())
          expect(yield* search({ sourceKinds: ["vscode"] })).toEqual([b])
          expect(yield* search({ modelProviders: ["acme"] })).toEqual([b])
          const updated = (yield* engine.getThread(b))!.metadata.updatedAt
          expect(yield* search({ updatedFromMs: updated + 1 })).toEqual([])
          expect(yield* search({ updatedBeforeMs: updated + 1 })).toContain(b)
        }))
    ))

  it.live("pages return every matching thread exactly once, in (score, id) order, when every score ties", () =>
    withHome((paths) =>
      withEngine(paths, (engine) =>
        Effect.gen(function*() {
          const made: Array<string> = []
          for (let i = 0; i < 7; i++) made.push(yield* thread(engine, [user("same words in every thread")]))
          const seen: Array<string> = []
          const scores = new Set<number>()
          let cursor: string | undefined
          for (let pages = 0; pages < 10; pages++) {
            const page = yield* engine.searchThreads({ query: "same words", limit: 3, ...(cursor ? { cursor } : {}) })
            for (const hit of page.items) scores.add(hit.score)
            seen.push(...ids(page))
            if (page.nextCursor === null) break
            cursor = page.nextCursor
          }
          expect(scores.size).toBe(1)
          expect(seen).toEqual([...made].sort())
        }))
    ))

  it.live("beyond the scoring budget only the newest matches are ranked, and the page says so; within it, all are", () =>
    withHome((paths) =>
      Effect.gen(function*() {
        const made = yield* withEngine(paths, (engine) =>
          Effect.gen(function*() {
            // The oldest thread says it most: it leads an exact ranking only.
            const oldest = yield* thread(engine, [user("deploy now"), user("deploy again"), user("deploy it")])
            const newer: Array<string> = []
            for (let i = 0; i < 3; i++) newer.push(yield* thread(engine, [user(`deploy ${i}`), user("unrelated")]))
            return { oldest, newer }
          }))
        const search = (budget: number) =>
          withEngine({ ...paths, searchScoringBudget: budget }, (engine) => engine.searchThreads({ query: "deploy" }))
        const exact = yield* search(6)
        expect(exact.exhaustive).toBe(true)
        expect(ids(exact)[0]).toBe(made.oldest)
        expect(exact.items[0]!.matches).toBe(3)
        const bounded = yield* search(4)
        expect(bounded.exhaustive).toBe(false)
        // The newest four matches: the three newer threads' and the oldest thread's last one.
        expect([...ids(bounded)].sort()).toEqual([made.oldest, ...made.newer].sort())
        expect(bounded.items.find((hit) => hit.thread.metadata.id === made.oldest)!.matches).toBe(1)
        const newest = yield* search(3)
        expect([...ids(newest)].sort()).toEqual([...made.newer].sort())
        expect(newest.items.every((hit) => hit.matches === 1)).toBe(true)
      })
    ))

  it.live("pages of a bounded search rank the same window, each of its threads once whatever the ties", () =>
    withHome((paths) =>
      withEngine({ ...paths, searchScoringBudget: 5 }, (engine) =>
        Effect.gen(function*() {
          const made: Array<string> = []
          for (let i = 0; i < 8; i++) made.push(yield* thread(engine, [user("same words in every thread")]))
          const seen: Array<string> = []
          const scores = new Set<number>()
          let cursor: string | undefined
          for (let pages = 0; pages < 10; pages++) {
            const page = yield* engine.searchThreads({ query: "same words", limit: 2, ...(cursor ? { cursor } : {}) })
            expect(page.exhaustive).toBe(false)
            for (const hit of page.items) scores.add(hit.score)
            seen.push(...ids(page))
            if (page.nextCursor === null) break
            cursor = page.nextCursor
          }
          expect(scores.size).toBe(1)
          expect(seen).toEqual(made.slice(-5).sort())
        }))
    ))

  it.live("a later page keeps its first page's window: matches written since are not ranked", () =>
    withHome((paths) =>
      withEngine({ ...paths, searchScoringBudget: 5 }, (engine) =>
        Effect.gen(function*() {
          const first: Array<string> = []
          for (let i = 0; i < 4; i++) first.push(yield* thread(engine, [user(`deploy the service ${i}`)]))
          const page = yield* engine.searchThreads({ query: "deploy", limit: 1 })
          expect(page.exhaustive).toBe(true)
          const later: Array<string> = []
          for (let i = 0; i < 3; i++) later.push(yield* thread(engine, [user(`deploy the service again ${i}`)]))
          expect((yield* engine.searchThreads({ query: "deploy" })).exhaustive).toBe(false)
          // Written since, they change bm25's statistics (so scores), but not the set ranked.
          const next = yield* engine.searchThreads({ query: "deploy", limit: 10, cursor: page.nextCursor! })
          expect(next.exhaustive).toBe(true)
          for (const id of ids(next)) expect(first).toContain(id)
        }))
    ))

  it.live("filters apply before the budget: a cwd's threads are ranked from their own newest matches", () =>
    withHome((paths) =>
      withEngine({ ...paths, searchScoringBudget: 2 }, (engine) =>
        Effect.gen(function*() {
          const mine = yield* thread(engine, [user("deploy the service")], { cwd: "/work/a" })
          for (let i = 0; i < 3; i++) yield* thread(engine, [user("deploy the service")], { cwd: "/work/b" })
          expect(ids(yield* engine.searchThreads({ query: "deploy" }))).not.toContain(mine)
          const page = yield* engine.searchThreads({ query: "deploy", cwd: "/work/a" })
          expect([ids(page), page.exhaustive]).toEqual([[mine], true])
        }))
    ))

  it.live("a query the grammar rejects, a blank one and a foreign cursor are InvalidInput with the reason", () =>
    withHome((paths) =>
      withEngine(paths, (engine) =>
        Effect.gen(function*() {
          yield* thread(engine, [user("flaky login")])
          const failure = (query: Parameters<Engine.Engine["searchThreads"]>[0]) =>
            Effect.flip(engine.searchThreads(query))
          const syntax = yield* failure({ query: "flaky AND" })
          expect(syntax).toMatchObject({ _tag: "InvalidInput", what: "query" })
          expect(syntax.message).toContain("syntax error")
          expect(yield* failure({ query: "(flaky" })).toMatchObject({ _tag: "InvalidInput", what: "query" })
          expect(yield* failure({ query: "\"flaky login" })).toMatchObject({
            _tag: "InvalidInput",
            reason: "a phrase's closing quote is missing"
          })
          expect(yield* failure({ query: " ?! " })).toMatchObject({
            _tag: "InvalidInput",
            reason: "no word to search for"
          })
          const other = yield* engine.searchThreads({ query: "flaky", limit: 1 })
          expect(other.nextCursor).toBeNull()
          expect(yield* failure({ query: "login", cursor: "bm90LWEtY3Vyc29y" })).toMatchObject({
            _tag: "InvalidInput",
            reason: "cursor: not a cursor this engine made"
          })
        }))
    ))

  it.live("tool outputs are left out by default and searchable when configured; a rebuild answers as live did", () =>
    withHome((paths) =>
      Effect.gen(function*() {
        const id = yield* withEngine(paths, (engine) =>
          thread(engine, [user("run it"), toolOutput("segfault in parser")]))
        expect(ids(
          yield* withEngine(paths, (engine) =>
            engine.searchThreads({ query: "segfault" }))
        )).toEqual([])
        const configured = { ...paths, messageKinds: ["user", "tool_output"] as const }
        const rebuilt = yield* withEngine(configured, (engine) =>
          Effect.gen(function*() {
            yield* engine.rebuild()
            return yield* engine.searchThreads({ query: "segfault" })
          }))
        expect(ids(rebuilt)).toEqual([id])
        const live = yield* withEngine(configured, (engine) =>
          Effect.gen(function*() {
            yield* engine.append(id, [toolOutput("another segfault")])
            const page = yield* engine.searchThreads({ query: "segfault" })
            const report = yield* engine.verify()
            return { page, report }
          }))
        expect(live.report.differences).toEqual([])
        expect(live.page.items[0]!.matches).toBe(2)
      })
    ))
})
