import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as BackfillState from "../../../../src/infra/engine/replay/BackfillState.js"
import { SqlDatabase } from "../../../../src/infra/sql/SqlDatabase.js"
import { dialects, pg } from "../../../fixtures/dialects.js"

const LEASE = 60_000

const statesOn = (db: SqlDatabase) => BackfillState.make.pipe(Effect.provideService(SqlDatabase, db))

describe.each(dialects)("BackfillState on $dialect", ({ shared }) => {
  it.scoped("a claim is singleton until its lease lapses, checkpoints keep the watermark, and a complete backfill cannot be claimed", () =>
    Effect.gen(function*() {
      const database = yield* shared
      const [first, second] = yield* Effect.forEach([0, 1], () => Effect.flatMap(database.connect(), statesOn))
      expect(yield* first!.read).toMatchObject({ status: "pending", last_watermark: null, owner: null })
      expect(yield* first!.claim(LEASE)).toBe(true)
      expect(yield* second!.claim(LEASE)).toBe(false)
      yield* first!.checkpoint("2026/01/01/a.jsonl")
      yield* TestClock.adjust(LEASE)
      expect(yield* second!.claim(LEASE)).toBe(true)
      expect(yield* second!.read).toMatchObject({ status: "running", last_watermark: "2026/01/01/a.jsonl" })
      yield* second!.finish({ stopped: false, watermark: "2026/01/02/b.jsonl" })
      expect(yield* first!.read).toMatchObject({
        status: "complete",
        last_watermark: "2026/01/02/b.jsonl",
        last_success_at_ms: LEASE,
        owner: null
      })
      expect(yield* first!.claim(LEASE)).toBe(false)
      yield* first!.restart
      expect(yield* first!.read).toMatchObject({ status: "pending", last_watermark: null })
    }))

  it.live("two connections claiming at once: exactly one wins", () =>
    Effect.scoped(Effect.gen(function*() {
      const database = yield* shared
      const states = yield* Effect.forEach([0, 1, 2, 3], () => Effect.flatMap(database.connect(), statesOn))
      yield* states[0]!.read
      const wins = yield* Effect.forEach(states, (state) => state.claim(LEASE), { concurrency: "unbounded" })
      expect(wins.filter(Boolean)).toEqual([true])
    })))

  it.scoped("a stopped run gives its claim back and keeps its progress; release gives back only its own claim", () =>
    Effect.gen(function*() {
      const database = yield* shared
      const state = yield* Effect.flatMap(database.connect(), statesOn)
      expect(yield* state.claim(LEASE)).toBe(true)
      yield* state.checkpoint("x")
      yield* state.finish({ stopped: true, watermark: null })
      expect(yield* state.read).toMatchObject({ status: "pending", last_watermark: "x", last_success_at_ms: null })
      expect(yield* state.claim(LEASE)).toBe(true)
      yield* state.release
      expect(yield* state.read).toMatchObject({ status: "pending", owner: null })
    }))
})

describe("BackfillState on a database hosts share", () => {
  it.scoped("each host has its own row: one host's claim and completion leave another's pending", () =>
    Effect.gen(function*() {
      const database = yield* pg.shared
      const a = yield* Effect.flatMap(database.connect({ hostId: "host-a" }), statesOn)
      const b = yield* Effect.flatMap(database.connect({ hostId: "host-b" }), statesOn)
      expect(yield* a.claim(LEASE)).toBe(true)
      expect(yield* b.claim(LEASE)).toBe(true)
      yield* a.finish({ stopped: false, watermark: "a" })
      expect(yield* a.read).toMatchObject({ status: "complete", last_watermark: "a" })
      expect(yield* b.read).toMatchObject({ status: "running", last_watermark: null })
    }))
})
