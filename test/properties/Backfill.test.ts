import { afterAll, describe, expect, it } from "@effect/vitest"
import Sqlite from "better-sqlite3"
import { Effect, FastCheck as fc, Layer } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { encodeRolloutLine } from "../../src/domain/RolloutItem.js"
import * as Engine from "../../src/infra/engine/Engine.js"
import { newRolloutPath } from "../../src/infra/rollout/Layout.js"
import { uuidV7 } from "../../src/infra/rollout/RolloutStore.js"
import { PROJECTIONS } from "../../src/projections/Projection.js"
import { itemsArb, runs, type WholeItem } from "../fixtures/arbitraries.js"

const root = mkdtempSync(join(tmpdir(), "backfill-props-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let count = 0

/** A home of threads, each a session meta for its own id followed by random items. */
const homeArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 400 * 86_400_000 }), itemsArb(12), fc.boolean()), {
  minLength: 1,
  maxLength: 9
})

const writeHome = (threads: ReadonlyArray<readonly [number, ReadonlyArray<WholeItem>, boolean]>) => {
  const dir = join(root, String(count++))
  const home = join(dir, "home")
  const ids: Array<string> = []
  for (const [offset, items, archived] of threads) {
    const created = Date.UTC(2025, 0, 1) + offset
    const id = uuidV7(created)
    ids.push(id)
    const meta: WholeItem = {
      type: "session_meta",
      timestamp: new Date(created).toISOString(),
      payload: { id, cwd: "/w" }
    }
    let path = newRolloutPath(home, id, created)
    if (archived) path = join(home, "archived_sessions", path.split("/").pop()!)
    mkdirSync(join(path, ".."), { recursive: true })
    writeFileSync(path, [meta, ...items].map(encodeRolloutLine).join(""))
  }
  return { dir, home, ids }
}

const dump = (database: string) => {
  const db = new Sqlite(database, { readonly: true })
  try {
    return Object.fromEntries(
      PROJECTIONS.map((
        { key, table }
      ) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY ${key.join(", ")}`).all()])
    )
  } finally {
    db.close()
  }
}

const engine = <A, E>(home: string, database: string, use: (engine: Engine.Engine) => Effect.Effect<A, E>) =>
  Effect.flatMap(Engine.Engine, use).pipe(
    Effect.provide(Layer.fresh(Engine.layer({ home, database, batchSize: 2, openBackfill: false })))
  )

describe("backfill and reconcile properties", () => {
  it.live(
    "a backfill interrupted at any batch, even by a kill, and resumed equals an uninterrupted backfill",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(homeArb, fc.nat(5), fc.boolean(), (threads, stopAfter, killed) =>
            Effect.runPromise(Effect.gen(function*() {
              const { dir, home } = writeHome(threads)
              const whole = join(dir, "whole.sqlite")
              const resumed = join(dir, "resumed.sqlite")
              yield* engine(home, whole, (e) => e.backfill())
              const first = yield* engine(home, resumed, (e) =>
                e.backfill({ maxBatches: stopAfter }))
              if (killed && first.status !== "complete") {
                const db = new Sqlite(resumed)
                db.prepare("UPDATE backfill_state SET status = 'running', owner = ? WHERE id = 1").run(
                  `pid:2147483646:${hostname()}`
                )
                db.close()
              }
              const second = yield* engine(home, resumed, (e) =>
                e.backfill())
              expect(second.status).toBe("complete")
              expect(first.scanned + second.scanned).toBe(threads.length)
              expect(dump(resumed)).toEqual(dump(whole))
              rmSync(dir, { recursive: true, force: true })
            }))),
          { numRuns: runs(40) }
        )
      ),
    300_000
  )

  const mutationArb = fc.array(
    fc.oneof(
      fc.record({
        kind: fc.constant("field" as const),
        thread: fc.nat(),
        column: fc.constantFrom("title", "cwd", "tokens_used", "model", "git_branch", "updated_at_ms")
      }),
      fc.record({ kind: fc.constant("delete" as const), thread: fc.nat() }),
      fc.record({ kind: fc.constant("orphan" as const), thread: fc.nat() })
    ),
    { minLength: 1, maxLength: 4 }
  )

  it.live(
    "reconcile on a randomly mutated database finds exactly the mutated threads and fields, and repair restores equality",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(homeArb, mutationArb, (threads, mutations) =>
            Effect.runPromise(Effect.gen(function*() {
              const { dir, home, ids } = writeHome(threads)
              const database = join(dir, "state.sqlite")
              yield* engine(home, database, (e) => e.backfill())
              const expectedFields = new Map<string, Set<string>>()
              const deleted = new Set<string>()
              const orphans = new Set<string>()
              // Mutated behind the open engine's back: an open would delete a row whose file is
              // gone (SPEC §11) before reconcile could report it.
              const report = yield* engine(home, database, (e) =>
                Effect.suspend(() => {
                  const db = new Sqlite(database)
                  const names: Record<string, string> = {
                    title: "title",
                    cwd: "cwd",
                    tokens_used: "tokensUsed",
                    model: "model",
                    git_branch: "gitBranch",
                    updated_at_ms: "updatedAt"
                  }
                  for (const m of mutations) {
                    const id = ids[m.thread % ids.length]!
                    if (deleted.has(id)) continue
                    if (m.kind === "field") {
                      const value = m.column === "tokens_used" || m.column === "updated_at_ms"
                        ? -12345
                        : "mutated value"
                      db.prepare(`UPDATE threads SET ${m.column} = ? WHERE id = ?`).run(value, id)
                      expectedFields.set(id, (expectedFields.get(id) ?? new Set()).add(names[m.column]!))
                    } else if (m.kind === "delete") {
                      db.prepare("DELETE FROM threads WHERE id = ?").run(id)
                      deleted.add(id)
                      expectedFields.delete(id)
                    } else {
                      const orphan = `00000000-0000-4000-8000-${String(orphans.size).padStart(12, "0")}`
                      db.prepare("CREATE TEMP TABLE copy AS SELECT * FROM threads WHERE id = ?").run(id)
                      db.prepare("UPDATE copy SET id = ?, rollout_path = rollout_path || '.gone'").run(orphan)
                      db.exec("INSERT INTO threads SELECT * FROM copy; DROP TABLE copy")
                      orphans.add(orphan)
                    }
                  }
                  db.close()
                  return e.reconcile({ repair: true })
                }))
              expect(new Set(report.missing)).toEqual(deleted)
              expect(new Set(report.orphaned)).toEqual(orphans)
              expect(new Map(report.drifted.map((d) => [d.id, new Set(d.fields)]))).toEqual(expectedFields)
              const after = yield* engine(home, database, (e) => Effect.zip(e.reconcile({ repair: false }), e.verify()))
              expect(after[0]).toMatchObject({ missing: [], orphaned: [], drifted: [] })
              expect(after[1].differences).toEqual([])
              rmSync(dir, { recursive: true, force: true })
            }))),
          { numRuns: runs(40) }
        )
      ),
    300_000
  )
})
