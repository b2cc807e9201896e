/**
 * Migration 0007 recomputes `threads.source_kind` in SQL; every row written later gets
 * `sourceKind` from TypeScript. The two must agree on every source a log can carry.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type SessionSource, SOURCE_KINDS, sourceColumn, sourceKind } from "../../../src/domain/SessionSource.js"
import * as Engine from "../../../src/infra/engine/Engine.js"
import * as Database from "../../../src/infra/sqlite/Database.js"
import { runs } from "../../fixtures/arbitraries.js"

const sourceArb: fc.Arbitrary<SessionSource> = fc.oneof(
  fc.constantFrom(
    "cli",
    "vscode",
    "exec",
    "mcp",
    "app_server",
    "appServer",
    "unknown",
    "atlas",
    "",
    "{x",
    " {\"custom\":1}"
  ),
  fc.string(),
  fc.record({
    subagent: fc.oneof(
      fc.constantFrom<unknown>("review", "compact", "memory_consolidation", null, 5, [], {}),
      fc.record({ thread_spawn: fc.oneof(fc.constant(null), fc.record({ depth: fc.nat() })) }),
      fc.record({ other: fc.string() }),
      fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 2 })
    )
  }),
  fc.record({ custom: fc.string() }),
  fc.record({ internal: fc.string() }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }) as fc.Arbitrary<SessionSource>
)

const migrated = () =>
  Effect.flatMap(
    Database.open({ file: join(mkdtempSync(join(tmpdir(), "kinds-")), "state.sqlite") }),
    (db) => Effect.as(Database.migrate(db), db)
  )

describe("migration 0007 (source kinds)", () => {
  it.scoped("gives every stored source the kind sourceKind gives it", () =>
    Effect.gen(function*() {
      const db = yield* migrated()
      const sources = fc.sample(sourceArb, { numRuns: runs(2000), seed: 16 })
      const columns = [...new Set(sources.map(sourceColumn))]
      const kindMigration = Database.migrations().find((m) => m.name === "source_kinds")!
      yield* db.direct.use((s) => {
        s.run("DELETE FROM threads", [])
        columns.forEach((column, i) =>
          s.run(
            `INSERT INTO threads (id, rollout_path, created_at_ms, updated_at_ms, source, model_provider, cwd,
               cli_version, title, sandbox_policy, approval_mode, tokens_used, projected_offset, projected_lines,
               file_size, fold_progress, source_kind)
             VALUES (?, ?, 0, 0, ?, 'p', '/w', '', '', 'read-only', 'on-request', 0, 0, 0, 0, '{}', 'stale')`,
            [`t${i}`, `/r${i}`, column]
          )
        )
      })
      // Run the migration's UPDATE again over these rows (its indexes exist already).
      yield* db.execScript(kindMigration.script.slice(0, kindMigration.script.indexOf("CREATE INDEX")))
      const stored = yield* db.direct.use((s) => s.values("SELECT source, source_kind FROM threads", []))
      expect(stored).toHaveLength(columns.length)
      const disagreeing = stored.filter(([source, kind]) => sourceKind(source as string) !== kind)
      expect(disagreeing).toEqual([])
      // The sample reaches every kind, so each branch of the SQL is compared.
      expect(new Set(stored.map(([, kind]) => kind))).toEqual(new Set(SOURCE_KINDS))
    }))

  it.live("after migration 0009 the next open folds every file again, so rows folded by the old rules are redone", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "refold-"))
      const options = { home: join(dir, "home"), database: join(dir, "state.sqlite") }
      const id = yield* Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const created = yield* engine.createThread({ cwd: "/w/.", source: { subagent: "review" } })
        yield* engine.append(created.metadata.id, [{
          type: "turn_context",
          payload: {
            cwd: "/w",
            model: "m",
            sandbox_policy: { type: "read-only" },
            permission_profile: { type: "disabled" }
          }
        }])
        return created.metadata.id
      }).pipe(Effect.provide(Layer.fresh(Engine.layer(options))))
      // What a release before issue 16 stored, and its schema record without 0009.
      yield* Effect.scoped(Effect.gen(function*() {
        const db = yield* Database.open({ file: options.database })
        yield* db.direct.use((s) => {
          s.run("UPDATE threads SET cwd = '/w/.', sandbox_policy = 'read-only', source_kind = 'subagent'", [])
          s.run("DELETE FROM effect_sql_migrations WHERE name = 'refold_issue16'", [])
        })
      }))
      const record = yield* Effect.flatMap(Engine.Engine, (engine) => engine.getThread(id)).pipe(
        Effect.provide(Layer.fresh(Engine.layer(options)))
      )
      expect(record?.metadata).toMatchObject({ cwd: "/w", sandboxPolicy: "{\"type\":\"disabled\"}" })
      expect(record?.sourceKind).toBe("subAgentReview")
      expect(record?.placement.projectedOffset).toBeGreaterThan(0)
    }))
})
