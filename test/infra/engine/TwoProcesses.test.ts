import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { execFile } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { turnsOf } from "../../../src/domain/ThreadState.js"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { foldRolloutFile } from "../../../src/infra/rollout/RolloutFold.js"

const appender = join(import.meta.dirname, "../../fixtures/appender.ts")

describe("two processes on one home", () => {
  it.live("a host appending while the CLI rebuilds, backfills and appends loses nothing", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "two-processes-"))
      const paths = { home: join(dir, "home"), database: join(dir, "state.sqlite") }
      const layer = Layer.fresh(Engine.layer(paths))
      const [a, b] = yield* Effect.flatMap(Engine.Engine, (e) =>
        Effect.all([e.createThread({ cwd: "/a" }), e.createThread({ cwd: "/b" })])).pipe(Effect.provide(layer))
      let otherDone = false
      const other = promisify(execFile)(process.execPath, [
        "--import",
        "tsx",
        appender,
        paths.home,
        paths.database,
        a.metadata.id,
        "40"
      ])
        .finally(() => {
          otherDone = true
        })
      let rounds = 0
      yield* Effect.flatMap(Engine.Engine, (e) =>
        Effect.gen(function*() {
          // Keep writing until the other process is done, so the two really overlap.
          for (let round = 0; !otherDone && round < 500; round++, rounds++) {
            yield* e.rebuild()
            yield* e.backfill({ restart: true })
            yield* e.append(b.metadata.id, [{
              type: "event_msg",
              payload: { type: "user_message", message: `here ${round}` }
            }])
          }
        })).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))
      yield* Effect.promise(() =>
        other
      )
      expect(rounds).toBeGreaterThan(0)
      yield* Effect.flatMap(Engine.Engine, (e) =>
        Effect.gen(function*() {
          expect((yield* e.verify()).differences).toEqual([])
          for (const [thread, turns] of [[a, 40], [b, rounds]] as const) {
            const record = yield* e.getThread(thread.metadata.id)
            const folded = yield* foldRolloutFile(thread.placement.rolloutPath, { defaultModelProvider: "openai" })
            expect(turnsOf(folded.state)).toHaveLength(turns)
            expect(record?.metadata).toEqual(folded.state.metadata)
            expect(record?.placement.projectedOffset).toBe(folded.end.offset)
          }
        })).pipe(Effect.provide(Layer.fresh(Engine.layer(paths))))
    }), 120_000)
})
