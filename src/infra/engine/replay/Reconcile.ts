/**
 * Reconcile (SPEC §4): fold every file afresh, compare with its rows, and report threads
 * missing from the database, rows whose file is gone, and drifted rows with the names of
 * the fields that differ. `repair` replays the drifted and missing threads through the
 * projector and deletes the orphans.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { statSync } from "node:fs"
import { turnsOf } from "../../../domain/ThreadState.js"
import { DynamicToolsProjection } from "../../../projections/DynamicToolsProjection.js"
import { chunksOf } from "../../../projections/ThreadDelta.js"
import { THREAD_COLUMNS, ThreadsProjection, toThreadRow } from "../../../projections/ThreadsProjection.js"
import { listRolloutFiles, type RolloutFile } from "../../rollout/RolloutFiles.js"
import { foldRolloutFile } from "../../rollout/RolloutFold.js"
import { yieldToEventLoop } from "../../rollout/RolloutReader.js"
import { mapDatabaseError } from "../../sqlite/Database.js"
import { EngineConfig } from "../EngineConfig.js"
import { ThreadProjector } from "../ThreadProjector.js"
import { issueProblem, type Problem, problemList, type RunOptions, skippedProblem } from "./Backfill.js"

/** @since 0.1.0 @category models */
export interface ReconcileReport {
  readonly missing: ReadonlyArray<string>
  readonly orphaned: ReadonlyArray<string>
  readonly drifted: ReadonlyArray<{ readonly id: string; readonly fields: ReadonlyArray<string> }>
  readonly repaired: boolean
  readonly scanned: number
  readonly failed: ReadonlyArray<{ readonly path: string; readonly reason: string }>
  /** Skipped and failed files and line issues, as `BackfillReport` has them. */
  readonly problems: ReadonlyArray<Problem>
  readonly problemsOmitted: number
}

/** `created_at_ms` → `createdAt`: drift is reported in the names hosts see. */
const fieldName = (column: string): string =>
  column.replace(/_ms$/, "").replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

/** Synchronous: a stat through the thread pool cost more than the stat (~0.5 s over 10,000 files). */
const fileFacts = (path: string): { readonly size: number; readonly mtimeMs: number } => {
  try {
    const info = statSync(path, { throwIfNoEntry: false })
    return info === undefined ? { size: -1, mtimeMs: 0 } : { size: info.size, mtimeMs: Math.floor(info.mtimeMs) }
  } catch {
    return { size: -1, mtimeMs: 0 }
  }
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/** @since 0.1.0 */
export const runReconcile = (options: { readonly repair: boolean } & RunOptions) =>
  Effect.gen(function*() {
    const config = yield* EngineConfig
    const sql = yield* SqlClient.SqlClient
    const threads = yield* ThreadsProjection
    const tools = yield* DynamicToolsProjection
    const projector = yield* ThreadProjector
    const listing = yield* listRolloutFiles(config.home)
    const missing: Array<string> = []
    const drifted: Array<{ id: string; fields: Array<string> }> = []
    const failed: Array<{ path: string; reason: string }> = []
    const toRepair: Array<RolloutFile> = []
    const seen = new Set<string>()
    const problems = problemList(listing.skipped.map(skippedProblem))
    let parseErrors = 0
    let scanned = 0
    for (const batch of chunksOf(listing.files, config.batchSize)) {
      yield* yieldToEventLoop
      const folded = yield* Effect.forEach(batch, (file) =>
        Effect.all([
          Effect.either(foldRolloutFile(file.path, { defaultModelProvider: config.defaultModelProvider })),
          Effect.sync(() => fileFacts(file.path))
        ]).pipe(Effect.map(([result, { mtimeMs, size }]) => ({ file, result, size, mtimeMs }))))
      const ids = folded.flatMap(({ result }) => (result._tag === "Right" ? [result.right.state.metadata.id] : []))
      const rows = yield* mapDatabaseError("load threads")(threads.load(ids))
      const toolRows = yield* mapDatabaseError("load tools")(tools.load(ids))
      const turnRows = yield* Effect.forEach(chunksOf(ids, 500), (chunk) =>
        sql<Record<string, unknown>>`SELECT * FROM thread_turns WHERE thread_id IN ${
          sql.in(chunk)
        } ORDER BY thread_id, turn_index`).pipe(
          Effect.map((c) =>
            c.flat()
          ),
          mapDatabaseError("load turns")
        )
      const edgeRows = yield* Effect.forEach(chunksOf(ids, 500), (chunk) =>
        sql<{ child_thread_id: string; parent_thread_id: string }>`
          SELECT child_thread_id, parent_thread_id FROM thread_spawn_edges WHERE child_thread_id IN ${sql.in(chunk)}`)
        .pipe(
          Effect.map((c) =>
            new Map(c.flat().map((e) => [e.child_thread_id, e.parent_thread_id]))
          ),
          mapDatabaseError("load edges")
        )
      for (const { file, mtimeMs, result, size } of folded) {
        scanned++
        if (result._tag === "Left") {
          failed.push({ path: file.path, reason: result.left.reason })
          problems.add({ file: file.path, line: null, reason: result.left.reason })
          continue
        }
        const { counts, end, issues, state } = result.right
        parseErrors += counts.parseErrors
        for (const issue of issues) {
          problems.add(issueProblem(issue))
        }
        problems.omit(counts.parseErrors + counts.warnings - issues.length)
        const id = state.metadata.id
        seen.add(id)
        const row = rows.get(id)
        if (row === undefined) {
          missing.push(id)
          toRepair.push(file)
          continue
        }
        const expected = toThreadRow(state.metadata, state.progress, {
          rolloutPath: file.path,
          archived: file.archived,
          archivedAt: file.archived ? mtimeMs : null,
          projectedOffset: end.offset,
          projectedLines: end.nextLineNumber - 1,
          fileSize: size
        })
        const fields = THREAD_COLUMNS.filter((c) =>
          !sameJson(expected[c], row[c])
        ).map(fieldName)
        if (!sameJson(toolRows.get(id) ?? [], state.dynamicTools)) fields.push("dynamicTools")
        const expectedTurns = turnsOf(state).map((
          t
        ) => [t.index, t.turnId, t.startedAt, t.model, t.reasoningEffort, t.cwd, t.userMessage, t.tokensUsed])
        const actualTurns = turnRows.filter((t) => t["thread_id"] === id).map((
          t
        ) => [
          t["turn_index"],
          t["turn_id"],
          t["started_at_ms"],
          t["model"],
          t["reasoning_effort"],
          t["cwd"],
          t["user_message"],
          t["tokens_used"]
        ])
        if (!sameJson(expectedTurns, actualTurns)) fields.push("turns")
        if ((edgeRows.get(id) ?? null) !== state.metadata.parentThreadId) fields.push("spawnEdge")
        if (fields.length > 0) {
          drifted.push({ id, fields })
          toRepair.push(file)
        }
      }
      options.onProgress?.({
        total: listing.files.length,
        scanned,
        upserted: 0,
        unchanged: scanned - missing.length - drifted.length - failed.length,
        failed: failed.length,
        parseErrors,
        watermark: batch[batch.length - 1]?.relativePath ?? null,
        ...problems.snapshot()
      })
    }
    const allIds = yield* sql<{ id: string }>`SELECT id FROM threads`.pipe(mapDatabaseError("list threads"))
    const orphaned = allIds.map((r) => r.id).filter((id) => !seen.has(id))
    if (options.repair) {
      for (const batch of chunksOf(toRepair, config.batchSize)) {
        yield* yieldToEventLoop
        yield* projector.project(batch.map((f) => ({ path: f.path, archived: f.archived })), {
          from: "scratch",
          defaultModelProvider: config.defaultModelProvider
        })
      }
      for (const chunk of chunksOf(orphaned, 500)) {
        yield* sql`DELETE FROM threads WHERE id IN ${sql.in(chunk)}`.pipe(mapDatabaseError("delete orphans"))
      }
    }
    return {
      missing,
      orphaned,
      drifted,
      repaired: options.repair,
      scanned,
      failed,
      ...problems.snapshot()
    } satisfies ReconcileReport
  })
