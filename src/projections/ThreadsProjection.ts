/**
 * The `threads` projection: one row per thread, every field of the fold plus where its log
 * lives and how far it has been folded.
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as AST from "effect/SchemaAST"
import { sourceKind } from "../domain/SessionSource.js"
import type { FoldProgress, ThreadMetadata } from "../domain/ThreadState.js"
import { sameJson } from "./Drift.js"
import type { Projection } from "./Projection.js"
import {
  chunksOf,
  KEYS_PER_STATEMENT,
  type Program,
  run,
  runByKeys,
  statementForRows,
  values,
  valuesOf
} from "./Statements.js"
import type { EarlierFile, ThreadDelta, ThreadPlacement } from "./ThreadDelta.js"

/**
 * A `threads` row as SQLite returns it.
 * @since 0.1.0
 * @category schemas
 */
export const ThreadRow = Schema.Struct({
  id: Schema.String,
  rollout_path: Schema.String,
  created_at_ms: Schema.Number,
  updated_at_ms: Schema.Number,
  source: Schema.String,
  thread_source: Schema.NullOr(Schema.String),
  agent_nickname: Schema.NullOr(Schema.String),
  agent_role: Schema.NullOr(Schema.String),
  agent_path: Schema.NullOr(Schema.String),
  parent_thread_id: Schema.NullOr(Schema.String),
  forked_from_id: Schema.NullOr(Schema.String),
  model_provider: Schema.String,
  model: Schema.NullOr(Schema.String),
  reasoning_effort: Schema.NullOr(Schema.String),
  cwd: Schema.String,
  cli_version: Schema.String,
  title: Schema.String,
  name: Schema.NullOr(Schema.String),
  first_user_message: Schema.NullOr(Schema.String),
  sandbox_policy: Schema.String,
  approval_mode: Schema.String,
  tokens_used: Schema.Number,
  git_sha: Schema.NullOr(Schema.String),
  git_branch: Schema.NullOr(Schema.String),
  git_origin_url: Schema.NullOr(Schema.String),
  memory_mode: Schema.NullOr(Schema.String),
  archived: Schema.Number,
  archived_at_ms: Schema.NullOr(Schema.Number),
  projected_offset: Schema.Number,
  projected_lines: Schema.Number,
  file_size: Schema.Number,
  fold_progress: Schema.String,
  source_kind: Schema.String,
  /** `open` | `closed` (a CHECK holds it to these); a plain string for `threadRowsOf`'s check. */
  spawn_status: Schema.String,
  /** `placement.earlierFiles` as JSON; `null` for a thread of one file (nearly all). */
  earlier_files: Schema.NullOr(Schema.String)
})

/** @since 0.1.0 */
export type ThreadRow = typeof ThreadRow.Type

/** The columns, in the order rows are written. @since 0.1.0 */
export const THREAD_COLUMNS = Object.keys(ThreadRow.fields) as ReadonlyArray<keyof ThreadRow>

/** @since 0.1.0 */
export const toThreadRow = (
  metadata: ThreadMetadata,
  progress: FoldProgress,
  placement: ThreadPlacement
): ThreadRow => ({
  id: metadata.id,
  rollout_path: placement.rolloutPath,
  created_at_ms: metadata.createdAt,
  updated_at_ms: metadata.updatedAt,
  source: metadata.source,
  thread_source: metadata.threadSource,
  agent_nickname: metadata.agentNickname,
  agent_role: metadata.agentRole,
  agent_path: metadata.agentPath,
  parent_thread_id: metadata.parentThreadId,
  forked_from_id: metadata.forkedFromId,
  model_provider: metadata.modelProvider,
  model: metadata.model,
  reasoning_effort: metadata.reasoningEffort,
  cwd: metadata.cwd,
  cli_version: metadata.cliVersion,
  title: metadata.title,
  name: metadata.name,
  first_user_message: metadata.firstUserMessage,
  sandbox_policy: metadata.sandboxPolicy,
  approval_mode: metadata.approvalMode,
  tokens_used: metadata.tokensUsed,
  git_sha: metadata.gitSha,
  git_branch: metadata.gitBranch,
  git_origin_url: metadata.gitOriginUrl,
  memory_mode: metadata.memoryMode,
  archived: placement.archived ? 1 : 0,
  archived_at_ms: placement.archivedAt,
  projected_offset: placement.projectedOffset,
  projected_lines: placement.projectedLines,
  file_size: placement.fileSize,
  fold_progress: JSON.stringify(progress),
  source_kind: sourceKind(metadata.source),
  spawn_status: metadata.spawnStatus,
  earlier_files: placement.earlierFiles === undefined || placement.earlierFiles.length === 0
    ? null
    : JSON.stringify(placement.earlierFiles)
})

/** @since 0.1.0 */
export const metadataOf = (row: ThreadRow): ThreadMetadata => ({
  id: row.id,
  createdAt: row.created_at_ms,
  updatedAt: row.updated_at_ms,
  source: row.source,
  threadSource: row.thread_source,
  agentNickname: row.agent_nickname,
  agentRole: row.agent_role,
  agentPath: row.agent_path,
  parentThreadId: row.parent_thread_id,
  forkedFromId: row.forked_from_id,
  modelProvider: row.model_provider,
  model: row.model,
  reasoningEffort: row.reasoning_effort,
  cwd: row.cwd,
  cliVersion: row.cli_version,
  title: row.title,
  name: row.name,
  firstUserMessage: row.first_user_message,
  sandboxPolicy: row.sandbox_policy,
  approvalMode: row.approval_mode,
  tokensUsed: row.tokens_used,
  gitSha: row.git_sha,
  gitBranch: row.git_branch,
  gitOriginUrl: row.git_origin_url,
  memoryMode: row.memory_mode,
  spawnStatus: row.spawn_status === "closed" ? "closed" : "open"
})

/** @since 0.1.0 */
export const placementOf = (row: ThreadRow): ThreadPlacement => ({
  rolloutPath: row.rollout_path,
  archived: row.archived === 1,
  archivedAt: row.archived_at_ms,
  projectedOffset: row.projected_offset,
  projectedLines: row.projected_lines,
  fileSize: row.file_size,
  ...(row.earlier_files === null ? {} : { earlierFiles: earlierFilesOf(row.earlier_files) })
})

const EarlierFilesJson = Schema.parseJson(
  Schema.Array(Schema.Struct({ path: Schema.String, size: Schema.Number, lines: Schema.Number }))
)

/** @since 0.1.0 */
export const earlierFilesOf = (json: string): ReadonlyArray<EarlierFile> => Schema.decodeSync(EarlierFilesJson)(json)

const FoldProgressJson = Schema.parseJson(Schema.Struct({
  idFromSessionMeta: Schema.Boolean,
  createdAtSource: Schema.Literal("session_meta", "file_name", "unknown"),
  latestLineTimestamp: Schema.NullOr(Schema.Number),
  turnOpen: Schema.Boolean,
  turnOpenedByTask: Schema.Boolean
}))

/** @since 0.1.0 */
export const progressOf = (row: ThreadRow): FoldProgress => Schema.decodeSync(FoldProgressJson)(row.fold_progress)

/** The select list giving the columns in `THREAD_COLUMNS` order, for `threadRowsOf`. @since 0.1.0 */
export const THREAD_SELECT = THREAD_COLUMNS.join(", ")

const isNull = (ast: AST.AST): boolean => AST.isLiteral(ast) && ast.literal === null

/** A column's JS type and nullability, read from its schema, so the check below cannot drift from it. */
const columnType = (
  column: string,
  ast: AST.AST
): { readonly type: "string" | "number"; readonly nullable: boolean } => {
  const types = AST.isUnion(ast) ? ast.types : [ast]
  const rest = types.filter((t) => !isNull(t))
  if (rest.length === 1 && AST.isStringKeyword(rest[0]!)) {
    return { type: "string", nullable: rest.length < types.length }
  }
  if (rest.length === 1 && AST.isNumberKeyword(rest[0]!)) {
    return { type: "number", nullable: rest.length < types.length }
  }
  throw new Error(`threads.${column}: only string and number columns, optionally nullable, are supported`)
}

const COLUMN_TYPES = THREAD_COLUMNS.map((column) => columnType(column, ThreadRow.fields[column].ast))

/**
 * Rows from the value arrays of a `SELECT` of `THREAD_SELECT` (a statement's `.values`): each
 * value is checked against its column's schema type, which is all decoding `ThreadRow` does.
 * Value arrays and this check cost a fraction of the driver's row objects and
 * `Schema.decodeUnknown` (which took 0.48 ms of a 1.8 ms page of 50, `bench/figures/list.ts`).
 * A mismatch is a defect.
 * @since 0.1.0
 */
export const threadRowsOf = (values: ReadonlyArray<ReadonlyArray<unknown>>): Array<ThreadRow> =>
  values.map((value) => {
    const row: Record<string, unknown> = {}
    for (let i = 0; i < THREAD_COLUMNS.length; i++) {
      const v = value[i]
      const expected = COLUMN_TYPES[i]!
      if (typeof v !== expected.type && !(v === null && expected.nullable)) {
        throw new Error(
          `threads.${THREAD_COLUMNS[i]!} of ${String(value[0])}: expected ${expected.type}, got ${
            v === null ? "null" : typeof v
          }`
        )
      }
      row[THREAD_COLUMNS[i]!] = v
    }
    return row as ThreadRow
  })

const UPDATE_ALL = THREAD_COLUMNS.filter((c) => c !== "id").map((c) => `${c} = excluded.${c}`).join(", ")

/**
 * How far a thread's file is projected, and from where.
 * @since 0.1.0
 * @category models
 */
export interface ThreadPosition {
  readonly id: string
  readonly rollout_path: string
  readonly projected_offset: number
}

const byKey = (rows: ReadonlyArray<ThreadRow>, key: "id" | "rollout_path") => new Map(rows.map((r) => [r[key], r]))

const upsertRows = statementForRows(
  THREAD_COLUMNS.length,
  (values) => `INSERT INTO threads (${THREAD_SELECT}) VALUES ${values} ON CONFLICT (id) DO UPDATE SET ${UPDATE_ALL}`
)
const selectBy = {
  id: statementForRows(1, (ids) => `SELECT ${THREAD_SELECT} FROM threads WHERE id IN (${ids})`),
  rollout_path: statementForRows(1, (paths) => `SELECT ${THREAD_SELECT} FROM threads WHERE rollout_path IN (${paths})`)
}
const deleteThreads = statementForRows(1, (ids) => `DELETE FROM threads WHERE id IN (${ids})`)
const selectPositions = statementForRows(
  1,
  (ids) => `SELECT id, rollout_path, projected_offset FROM threads WHERE id IN (${ids})`
)

function* select(column: "id" | "rollout_path", keys: ReadonlyArray<string>): Program<ReadonlyMap<string, ThreadRow>> {
  const found: Array<ThreadRow> = []
  for (const chunk of chunksOf(keys, KEYS_PER_STATEMENT)) {
    found.push(...threadRowsOf(yield* values(selectBy[column](chunk.length), chunk)))
  }
  return byKey(found, column)
}

function* applyThreads(deltas: ReadonlyArray<ThreadDelta>): Program<void> {
  const rows = deltas.map((d) => toThreadRow(d.after.metadata, d.after.progress, d.placement))
  for (const chunk of chunksOf(rows)) yield* run(upsertRows(chunk.length), valuesOf(chunk, THREAD_COLUMNS))
}

/**
 * The projection's programs.
 * @since 0.1.0
 */
export const threadRows = {
  /** Deletes these threads' rows. */
  clear: (ids: ReadonlyArray<string>): Program<void> => runByKeys(deleteThreads, ids),
  apply: applyThreads,
  load: (ids: ReadonlyArray<string>): Program<ReadonlyMap<string, ThreadRow>> => select("id", ids),
  findByPath: (paths: ReadonlyArray<string>): Program<ReadonlyMap<string, ThreadRow>> => select("rollout_path", paths),
  loadPositions: function*(ids: ReadonlyArray<string>): Program<ReadonlyMap<string, ThreadPosition>> {
    const positions = new Map<string, ThreadPosition>()
    for (const chunk of chunksOf(ids, KEYS_PER_STATEMENT)) {
      for (const [id, rolloutPath, projectedOffset] of yield* values(selectPositions(chunk.length), chunk)) {
        positions.set(id as string, {
          id: id as string,
          rollout_path: rolloutPath as string,
          projected_offset: projectedOffset as number
        })
      }
    }
    return positions
  }
}

/** `created_at_ms` → `createdAt`: drift is reported in the names hosts see. */
const fieldName = (column: string): string =>
  column.replace(/_ms$/, "").replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

/**
 * The `threads` projection. A thread's row is overwritten in place by every write (a rebuild
 * resets its position instead of deleting it), so operational state keyed on it survives.
 * @since 0.1.0
 */
export const threadsProjection: Projection = {
  table: "threads",
  key: ["id"],
  overwrites: true,
  apply: threadRows.apply,
  clear: threadRows.clear,
  reset: (own) =>
    run(
      `UPDATE threads SET projected_offset = 0, projected_lines = 0, file_size = -1${
        own === undefined ? "" : ` WHERE ${own}`
      }`,
      []
    ),
  drift: function*(folds) {
    const rows = yield* threadRows.load(folds.map((f) => f.after.metadata.id))
    const drifted = new Map<string, ReadonlyArray<string>>()
    for (const { after, placement } of folds) {
      const row = rows.get(after.metadata.id)
      if (row === undefined) continue
      const expected = toThreadRow(after.metadata, after.progress, placement)
      const fields = THREAD_COLUMNS.filter((c) => !sameJson(expected[c], row[c])).map(fieldName)
      if (fields.length > 0) drifted.set(after.metadata.id, fields)
    }
    return drifted
  }
}
