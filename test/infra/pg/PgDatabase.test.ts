import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit } from "effect"
import * as PgDatabase from "../../../src/infra/pg/PgDatabase.js"
import { connectPg, PG_URL, scratchSchema, TEST_HOST } from "../../fixtures/dialects.js"

const tables = (db: PgDatabase.PgDatabase) =>
  db.sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables
    WHERE table_schema = ${db.schema} ORDER BY table_name`.pipe(Effect.map((rows) => rows.map((r) => r.table_name)))

describe("PgDatabase", () => {
  it.live("a fresh schema is created and migrated on open, and a second open applies nothing", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const db = yield* PgDatabase.open({ url: PG_URL, schema, hostId: TEST_HOST })
      const applied = yield* PgDatabase.migrate(db)
      expect(applied.map(([id]) => id)).toEqual(PgDatabase.migrations().map((m) => m.id))
      expect(yield* tables(db)).toContain("threads")
      expect(yield* PgDatabase.migrate(db)).toEqual([])
      const other = yield* PgDatabase.open({ url: PG_URL, schema, hostId: TEST_HOST })
      expect(yield* PgDatabase.migrate(other)).toEqual([])
    })))

  it.live("two hosts opening one fresh schema at once: one migrates, the other finds it migrated", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const [a, b] = yield* Effect.all([
        PgDatabase.open({ url: PG_URL, schema, hostId: "a" }),
        PgDatabase.open({ url: PG_URL, schema, hostId: "b" })
      ])
      const results = yield* Effect.all([PgDatabase.migrate(a), PgDatabase.migrate(b)], { concurrency: 2 })
      expect(results.map((applied) => applied.length).sort()).toEqual([0, PgDatabase.migrations().length])
      const [recorded] = yield* a.sql<{ n: number }>`SELECT count(*) AS n FROM effect_sql_migrations`
      expect(recorded!.n).toBe(PgDatabase.migrations().length)
    })))

  it.live("the connections work in their schema only: another schema's tables are not seen", () =>
    Effect.scoped(Effect.gen(function*() {
      const first = yield* connectPg(yield* scratchSchema)
      const second = yield* connectPg(yield* scratchSchema)
      yield* first.sql`INSERT INTO thread_goals (thread_id, goal_id, objective, status, created_at_ms, updated_at_ms)
        VALUES ('t', 'g', 'o', 'active', 1, 1)`
      const [inFirst] = yield* first.sql<{ n: number }>`SELECT count(*) AS n FROM thread_goals`
      const [inSecond] = yield* second.sql<{ n: number }>`SELECT count(*) AS n FROM thread_goals`
      expect([inFirst!.n, inSecond!.n]).toEqual([1, 0])
    })))

  it.live("a recorded migration of ours under another name is schema-mismatch; ids above ours open", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const db = yield* connectPg(schema)
      const latest = PgDatabase.migrations().at(-1)!.id
      yield* db.sql`INSERT INTO effect_sql_migrations (migration_id, name) VALUES (${latest + 1}, 'from_the_future')`
      expect(yield* PgDatabase.migrate(db)).toEqual([])
      yield* db.sql`UPDATE effect_sql_migrations SET name = 'other' WHERE migration_id = 1`
      const exit = yield* Effect.exit(PgDatabase.migrate(db))
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toMatch(/schema-mismatch/)
    })))

  it.live("an unreachable server is cannot-open, and the URL in messages has no password", () =>
    Effect.scoped(Effect.gen(function*() {
      const url = "postgres://someone:secret@127.0.0.1:1/test"
      const error = yield* Effect.flip(PgDatabase.open({ url, hostId: TEST_HOST }))
      expect(error.reason).toBe("cannot-open")
      expect(error.file).toBe("postgres://someone@127.0.0.1:1/test (schema rollout_state)")
      expect(error.message).not.toContain("secret")
    })))

  it.live("every connection writes as its host: the setting survives spaces, backslashes and quotes in the id", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      for (const hostId of ["plain", "my host", "back\\slash", "it's \"quoted\"", "tab-free ünïcode"]) {
        const db = yield* connectPg(schema, { hostId, maxConnections: 2 })
        // Two connections of the pool at once: each was set up at connect.
        const seen = yield* Effect.all(
          [1, 2].map(() => db.sql<{ host: string }>`SELECT current_setting('rollout_state.host_id') AS host`),
          { concurrency: 2 }
        )
        expect(seen.map(([row]) => row?.host)).toEqual([hostId, hostId])
      }
    })))

  it.live("a projection write's claim holds its threads until it ends: a second claim of one waits, of another does not", () =>
    Effect.scoped(Effect.gen(function*() {
      const schema = yield* scratchSchema
      const a = yield* connectPg(schema)
      const b = yield* connectPg(schema)
      const held = a.sql.withTransaction(
        Effect.zipRight(a.run(a.claimThreads(["t1", "t2"])), Effect.sleep("400 millis"))
      )
      const claim = (ids: ReadonlyArray<string>) =>
        Effect.zipRight(
          Effect.sleep("100 millis"),
          Effect.map(Effect.timed(b.transact(b.claimThreads(ids))), ([took]) => Duration.toMillis(took))
        )
      const [, same, other] = yield* Effect.all([held, claim(["t2", "t9"]), claim(["t3"])], { concurrency: 3 })
      // Held from 0 to 400 ms; asked at 100 ms.
      expect(same).toBeGreaterThanOrEqual(250)
      expect(other).toBeLessThan(250)
    })))

  it.live("a schema name that would need quoting is refused before connecting", () =>
    Effect.scoped(Effect.gen(function*() {
      const error = yield* Effect.flip(PgDatabase.open({ url: PG_URL, schema: "a; DROP", hostId: TEST_HOST }))
      expect([error.reason, error.detail]).toEqual([
        "cannot-open",
        expect.stringContaining("not a lower-case SQL name")
      ])
    })))

  it("SQLSTATEs and socket errors map to the reasons SQLite's codes map to", () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      ["40001", "busy"],
      ["40P01", "busy"],
      ["55P03", "busy"],
      ["25006", "read-only"],
      ["08006", "cannot-open"],
      ["28P01", "cannot-open"],
      ["3D000", "cannot-open"],
      ["ECONNREFUSED", "cannot-open"],
      ["53100", "disk-full"],
      ["23505", "failed"],
      [42, "failed"]
    ]
    expect(cases.map(([code]) => [code, PgDatabase.reasonOf({ code })])).toEqual(cases)
    expect(PgDatabase.reasonOf(new Error("no code"))).toBe("failed")
  })
})
