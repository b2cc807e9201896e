import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pageText } from "../../../src/infra/cli/SearchCommand.js"
import * as Engine from "../../../src/infra/engine/Engine.js"

/** The first page for `query` over two threads that both match, with this scoring budget. */
const pageWithBudget = (searchScoringBudget: number) =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "search-text-"))),
    (dir) =>
      Effect.gen(function*() {
        const engine = yield* Engine.Engine
        for (const cwd of ["/work/a", "/work/b"]) {
          const created = yield* engine.createThread({ cwd, source: "cli" })
          yield* engine.append(created.metadata.id, [
            { type: "event_msg", payload: { type: "user_message", message: "deploy the service" } }
          ])
        }
        return yield* engine.searchThreads({ query: "deploy" })
      }).pipe(
        Effect.provide(Layer.fresh(Engine.layer({
          home: join(dir, "home"),
          database: join(dir, "state.sqlite"),
          searchScoringBudget
        })))
      ),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const NOTE = "(more messages match than are ranked: these are the best of the newest matches)"

describe("search as text", () => {
  it.live("notes a ranking bounded by the scoring budget on a line of its own, and only then", () =>
    Effect.gen(function*() {
      const bounded = pageText(yield* pageWithBudget(1), false).split("\n")
      expect(bounded).toContain(NOTE)
      expect(bounded.filter((line) => line.includes("»deploy«"))).toHaveLength(1)
      const exact = pageText(yield* pageWithBudget(2), false).split("\n")
      expect(exact).not.toContain(NOTE)
      expect(exact.filter((line) => line.includes("»deploy«"))).toHaveLength(2)
    }))
})
