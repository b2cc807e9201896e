/**
 * rollout-state: the engine, its layers and the domain it folds.
 * @since 0.1.0
 */
export * as AgentPath from "./domain/AgentPath.js"
export * as DynamicTool from "./domain/DynamicTool.js"
export * as GitInfo from "./domain/GitInfo.js"
export * as GitPatch from "./domain/GitPatch.js"
export * as Goal from "./domain/Goal.js"
export * as HostId from "./domain/HostId.js"
export * as Json from "./domain/Json.js"
export * as LogLine from "./domain/LogLine.js"
export * as MemoryJobRules from "./domain/MemoryJobs.js"
export * as MemoryWorkspaceFiles from "./domain/MemoryWorkspace.js"
export * as MetadataPatch from "./domain/MetadataPatch.js"
export * as PageCursor from "./domain/PageCursor.js"
export * as RolloutFileName from "./domain/RolloutFileName.js"
export * as RolloutItem from "./domain/RolloutItem.js"
export * as SearchQuery from "./domain/SearchQuery.js"
export * as SessionSource from "./domain/SessionSource.js"
export * as ThreadFold from "./domain/ThreadFold.js"
export * as ThreadId from "./domain/ThreadId.js"
export * as ThreadMessages from "./domain/ThreadMessages.js"
export * as ThreadState from "./domain/ThreadState.js"
export * as WorkingDirectory from "./domain/WorkingDirectory.js"
export type { CatchUpReport } from "./infra/engine/CatchUp.js"
export {
  type AppendResult,
  Engine,
  layer,
  type NewThread,
  type SearchRecord,
  type SearchRecordPage,
  type ThreadRecord,
  type ThreadRecordPage,
  type WritableItem
} from "./infra/engine/Engine.js"
export * as EngineConfig from "./infra/engine/EngineConfig.js"
export * as EngineDatabase from "./infra/engine/EngineDatabase.js"
export * from "./infra/engine/EngineError.js"
export type { BackfillProgress } from "./infra/engine/OpenBackfill.js"
export type { BackfillStatus } from "./infra/engine/replay/BackfillState.js"
export type { ReconcileReport } from "./infra/engine/replay/Reconcile.js"
export type { BackfillReport, BatchProgress, Problem, RunOptions } from "./infra/engine/replay/Report.js"
export type { VerifyDifference, VerifyReport } from "./infra/engine/replay/Verify.js"
export { HOST_ID_ENV, type HostIdSources, resolveHostId } from "./infra/engine/ResolveHostId.js"
export type { ThreadDetail } from "./infra/engine/ThreadDetail.js"
export type { CascadeOptions } from "./infra/engine/ThreadMutations.js"
export type { FileOutcome } from "./infra/engine/ThreadProjector.js"
export * as PgUrl from "./infra/pg/PgUrl.js"
export * as RolloutLayout from "./infra/rollout/Layout.js"
export type { DecodeMode } from "./infra/rollout/LineDecoder.js"
export type { FramingEnd } from "./infra/rollout/LineFramer.js"
export * as RolloutFiles from "./infra/rollout/RolloutFiles.js"
export * as RolloutFold from "./infra/rollout/RolloutFold.js"
export {
  InvalidUtf8,
  LineParseError,
  OversizedLine,
  PartialRecordDropped,
  type ReadIssue,
  RolloutReadError
} from "./infra/rollout/RolloutIssue.js"
export * as RolloutReader from "./infra/rollout/RolloutReader.js"
export { type Durability, RolloutWriteError, type WriteOptions } from "./infra/rollout/RolloutStore.js"
export type { ComparedSides, TableComparison, TableDifference } from "./infra/sql/CompareTables.js"
export type { Migration } from "./infra/sql/Migrations.js"
export * as SqlDatabase from "./infra/sql/SqlDatabase.js"
export * as Database from "./infra/sqlite/Database.js"
export * as LogStore from "./infra/stores/LogStore.js"
export * as MemoryJobs from "./infra/stores/MemoryJobs.js"
export * as MemoryPhase2 from "./infra/stores/MemoryPhase2.js"
export * as MemoryWorkspace from "./infra/stores/MemoryWorkspace.js"
export { PROCESS_UUID } from "./infra/stores/ProcessUuid.js"
export * as SqliteLogger from "./infra/stores/SqliteLogger.js"
export * as ThreadGoals from "./infra/stores/ThreadGoals.js"
export * as ThreadMemories from "./infra/stores/ThreadMemories.js"
export { AgentNotFound } from "./projections/AgentGraph.js"
export type { ComparedTable } from "./projections/Projection.js"
export type { Program, SqlStep, Statements } from "./projections/Statements.js"
export { numberedPlaceholders, runEffect, runSync } from "./projections/Statements.js"
export type { EarlierFile, ThreadPlacement } from "./projections/ThreadDelta.js"
export type { ArchivedFilter, ThreadListQuery, ThreadSortKey } from "./projections/ThreadList.js"
export type { SearchMatch, ThreadSearchQuery } from "./projections/ThreadSearch.js"
export type { TurnListQuery, TurnPage } from "./projections/TurnList.js"
