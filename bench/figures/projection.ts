/**
 * Projection write overhead: the engine's projection writes (`*Projection.apply` inside one
 * transaction, as `ThreadProjector` writes) for N new threads, against the same rows written
 * by raw better-sqlite3 prepared statements in one transaction, into the same migrated schema.
 * The deltas come from folding generated rollouts, cloned under new ids up to N.
 */
import Sqlite from "better-sqlite3"
import { Effect } from "effect"
import { copyFileSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ThreadState } from "../../src/domain/ThreadState.js"
import { turnsOf } from "../../src/domain/ThreadState.js"
import { foldRolloutFile } from "../../src/infra/rollout/RolloutFold.js"
import * as Database from "../../src/infra/sqlite/Database.js"
import { writeProjections } from "../../src/projections/ProjectionWriter.js"
import { runSync } from "../../src/projections/Statements.js"
import type { ThreadDelta } from "../../src/projections/ThreadDelta.js"
import { THREAD_COLUMNS, toThreadRow } from "../../src/projections/ThreadsProjection.js"
import { type Figure, generatedHome, log, median, migratedDatabase, row } from "../harness.js"
import { rolloutFiles } from "../homeFiles.js"

/** Folded states of a generated home, cloned under new ids until there are `count`. */
export const buildDeltas = async (count: number, seed: number): Promise<Array<ThreadDelta>> => {
  // Threads of mixed sizes (the quick backfill corpus), so turn counts vary as in real homes.
  const home = await generatedHome(200, 50, seed)
  const states = await Effect.runPromise(
    Effect.forEach(
      rolloutFiles(home),
      (file) => Effect.map(foldRolloutFile(file, { defaultModelProvider: "openai" }), (folded) => ({ file, folded }))
    )
  )
  return Array.from({ length: count }, (_, i) => {
    const { file, folded } = states[i % states.length]!
    const id = `${folded.state.metadata.id.slice(0, 24)}${i.toString(16).padStart(12, "0")}`
    const after: ThreadState = { ...folded.state, metadata: { ...folded.state.metadata, id } }
    return {
      before: undefined,
      after,
      placement: {
        rolloutPath: `${file}.${i}`,
        archived: false,
        archivedAt: null,
        projectedOffset: folded.end.offset,
        projectedLines: folded.end.nextLineNumber - 1,
        fileSize: folded.end.offset
      }
    }
  })
}

/** The engine's write: `writeProjections` (every projection's `apply`) in one `BEGIN IMMEDIATE` transaction. */
const engineWrite = (file: string, deltas: ReadonlyArray<ThreadDelta>): Promise<number> =>
  Effect.gen(function*() {
    const database = yield* Database.open({ file })
    const items = deltas.map((delta) => ({ delta, expected: undefined }))
    const started = performance.now()
    yield* database.direct.transact((s) => runSync(writeProjections(items), s))
    return (performance.now() - started) / 1000
  }).pipe(Effect.scoped, Effect.runPromise)

const TURN_COLUMNS = [
  "thread_id",
  "turn_index",
  "turn_id",
  "started_at_ms",
  "model",
  "reasoning_effort",
  "cwd",
  "user_message",
  "tokens_used"
]
const TOOL_COLUMNS = ["thread_id", "position", "name", "namespace", "description", "input_schema", "hidden"]

const upsert = (table: string, columns: ReadonlyArray<string>, key: ReadonlyArray<string>): string =>
  `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})` +
  (key.length === 0
    ? ""
    : ` ON CONFLICT (${key.join(", ")}) DO UPDATE SET ${
      columns.filter((c) => !key.includes(c)).map((c) => `${c} = excluded.${c}`).join(", ")
    }`)

/** The baseline: the same rows by hand, one prepared statement per table, one transaction. */
const rawWrite = (file: string, deltas: ReadonlyArray<ThreadDelta>): number => {
  const db = new Sqlite(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.pragma("foreign_keys = ON")
  const thread = db.prepare(upsert("threads", THREAD_COLUMNS, ["id"]))
  const turn = db.prepare(upsert("thread_turns", TURN_COLUMNS, ["thread_id", "turn_index"]))
  const clearTools = db.prepare("DELETE FROM thread_dynamic_tools WHERE thread_id = ?")
  const tool = db.prepare(upsert("thread_dynamic_tools", TOOL_COLUMNS, []))
  const clearEdge = db.prepare("DELETE FROM thread_spawn_edges WHERE child_thread_id = ?")
  const edge = db.prepare(
    upsert("thread_spawn_edges", ["child_thread_id", "parent_thread_id", "status"], ["child_thread_id"])
  )
  const started = performance.now()
  db.transaction(() => {
    for (const d of deltas) {
      const { metadata } = d.after
      thread.run(toThreadRow(metadata, d.after.progress, d.placement))
      clearTools.run(metadata.id)
      d.after.dynamicTools.forEach((t, position) =>
        tool.run({
          thread_id: metadata.id,
          position,
          name: t.name,
          namespace: t.namespace,
          description: t.description,
          input_schema: JSON.stringify(t.inputSchema),
          hidden: t.hidden ? 1 : 0
        })
      )
      for (const t of turnsOf(d.after)) {
        turn.run({
          thread_id: metadata.id,
          turn_index: t.index,
          turn_id: t.turnId,
          started_at_ms: t.startedAt,
          model: t.model,
          reasoning_effort: t.reasoningEffort,
          cwd: t.cwd,
          user_message: t.userMessage,
          tokens_used: t.tokensUsed
        })
      }
      if (metadata.parentThreadId === null) clearEdge.run(metadata.id)
      else edge.run({ child_thread_id: metadata.id, parent_thread_id: metadata.parentThreadId, status: "open" })
    }
  })()
  const elapsed = (performance.now() - started) / 1000
  db.close()
  return elapsed
}

const count = (file: string, table: string): number => {
  const db = new Sqlite(file, { readonly: true })
  const n = (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
  db.close()
  return n
}

export const figure: Figure = {
  id: "projection",
  run: async (sizes) => {
    const n = sizes.projectionThreads
    const deltas = await buildDeltas(n, sizes.seed)
    const turnRows = deltas.reduce((sum, d) => sum + turnsOf(d.after).length, 0)
    const dir = mkdtempSync(join(tmpdir(), "bench-projection-"))
    const template = join(dir, "template.sqlite")
    await migratedDatabase(template)
    const engine: Array<number> = []
    const raw: Array<number> = []
    const reps = Math.max(5, sizes.reps * 2)
    for (let rep = 0; rep < reps; rep++) {
      const engineFile = join(dir, `engine-${rep}.sqlite`)
      const rawFile = join(dir, `raw-${rep}.sqlite`)
      copyFileSync(template, engineFile)
      copyFileSync(template, rawFile)
      if (rep % 2 === 0) {
        engine.push(await engineWrite(engineFile, deltas))
        raw.push(rawWrite(rawFile, deltas))
      } else {
        raw.push(rawWrite(rawFile, deltas))
        engine.push(await engineWrite(engineFile, deltas))
      }
      // Both sides must have written the same rows, or the ratio compares different work.
      for (const table of ["threads", "thread_turns", "thread_dynamic_tools", "thread_spawn_edges"]) {
        const [e, r] = [count(engineFile, table), count(rawFile, table)]
        if (e !== r) throw new Error(`${table}: engine wrote ${e} rows, raw ${r}`)
      }
      for (const f of [engineFile, rawFile]) for (const s of ["", "-wal", "-shm"]) rmSync(f + s, { force: true })
    }
    rmSync(dir, { recursive: true, force: true })
    const [e, r] = [median(engine), median(raw)]
    log(
      `projection: ${n} threads, ${turnRows} turns; engine ${engine.map((s) => s.toFixed(3)).join(" ")} s; raw ${
        raw.map((s) => s.toFixed(3)).join(" ")
      } s`
    )
    return [
      row({
        figure: `projection write, ${n} threads`,
        value: e * 1000,
        unit: "ms",
        baseline: r * 1000,
        ratio: e / r,
        note: `${turnRows} turn rows; baseline: raw better-sqlite3 upserts, one transaction; median of ${reps}`
      }, { on: "ratio", op: "<=", bound: 1.3 })
    ]
  }
}
