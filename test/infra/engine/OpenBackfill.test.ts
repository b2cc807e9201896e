import { describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"
import { writeRecordedHome } from "../../../src/testing/RecordedHome.js"

type LayerOptions = Parameters<typeof Engine.layer>[0]

/** A home whose `count` rollouts a host's recorder wrote before any engine opened it. */
const recordedHome = (count: number) => {
  const dir = mkdtempSync(join(tmpdir(), "open-backfill-"))
  const home = join(dir, "home")
  writeRecordedHome(home, count)
  return { home, database: join(dir, "state.sqlite") }
}

const withEngine = <A, E>(options: LayerOptions, use: (engine: Engine.Engine) => Effect.Effect<A, E>) =>
  Effect.flatMap(Engine.Engine, use).pipe(Effect.scoped, Effect.provide(Layer.fresh(Engine.layer(options))))

const backfillStatus = (database: string) => {
  const db = new Sqlite(database, { readonly: true })
  try {
    return (db.prepare("SELECT status FROM backfill_state WHERE id = 1").get() as { status: string }).status
  } finally {
    db.close()
  }
}

describe("the backfill an open runs (SPEC §11)", () => {
  it.live("opening a home never backfilled waits for its backfill: the first list has every thread and no backfill field", () =>
    Effect.gen(function*() {
      const paths = recordedHome(30)
      const page = yield* withEngine({ ...paths, batchSize: 7 }, (engine) => engine.listThreads({ limit: 100 }))
      expect(page.items).toHaveLength(30)
      expect(page.backfill).toBeUndefined()
      expect(backfillStatus(paths.database)).toBe("complete")
    }))

  it.live("past the gate, a list answers from what is projected so far and says how far the backfill got; it then completes", () =>
    Effect.gen(function*() {
      const paths = recordedHome(150)
      const progress: Array<number> = []
      yield* withEngine(
        { ...paths, batchSize: 5, backfillGateMs: 0, onOpenBackfill: (p) => progress.push(p.scanned) },
        (engine) =>
          Effect.gen(function*() {
            const first = yield* engine.listThreads({ limit: 200 })
            expect(first.backfill?.status).toBe("running")
            expect(first.items.length).toBeGreaterThanOrEqual(first.backfill!.done!)
            expect(first.items.length).toBeLessThan(150)
            let page = first
            while (page.backfill !== undefined) {
              yield* Effect.sleep("5 millis")
              page = yield* engine.listThreads({ limit: 200 })
              // Projected rows never run behind what the backfill says it did.
              if (page.backfill !== undefined) expect(page.items.length).toBeGreaterThanOrEqual(page.backfill.done!)
            }
            expect(page.items).toHaveLength(150)
          })
      )
      expect(progress.at(-1)).toBe(150)
      expect(backfillStatus(paths.database)).toBe("complete")
    }))

  it.live("a read-only open runs no backfill and says the backfill is pending; a command that is itself a backfill opens without one", () =>
    Effect.gen(function*() {
      const paths = recordedHome(5)
      const opened = yield* withEngine(
        { ...paths, openBackfill: false },
        (engine) => engine.listThreads({ limit: 10 })
      )
      expect(opened).toMatchObject({ items: [], backfill: { status: "pending", done: null, total: null } })
      const readOnly = yield* withEngine({ ...paths, readonly: true }, (engine) => engine.listThreads({ limit: 10 }))
      expect(readOnly).toMatchObject({ items: [], backfill: { status: "pending", done: null, total: null } })
    }))
})
