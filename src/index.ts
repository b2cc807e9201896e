/**
 * rollout-state: the engine, its layers and the domain it folds.
 * @since 0.1.0
 */
export * as AgentPath from "./domain/AgentPath.js"
export * as DynamicTool from "./domain/DynamicTool.js"
export * as GitInfo from "./domain/GitInfo.js"
export * as GitPatch from "./domain/GitPatch.js"
export * as Goal from "./domain/Goal.js"
export * as Json from "./domain/Json.js"
export * as LogLine from "./domain/LogLine.js"
export * as MemoryJobRules from "./domain/MemoryJobs.js"
export * as PageCursor from "./domain/PageCursor.js"
export * as RolloutFileName from "./domain/RolloutFileName.js"
export * as RolloutItem from "./domain/RolloutItem.js"
export * as ThreadFold from "./domain/ThreadFold.js"
export * as ThreadId from "./domain/ThreadId.js"
export * as ThreadState from "./domain/ThreadState.js"
export type { BackfillReport, BackfillStatus, BatchProgress, Problem, RunOptions } from "./infra/Backfill.js"
export * as Database from "./infra/Database.js"
export {
  type AppendResult,
  type CatchUpReport,
  Engine,
  type EngineError,
  layer,
  type NewThread,
  type ThreadRecord,
  type ThreadRecordPage,
  type WritableItem
} from "./infra/Engine.js"
export * as EngineConfig from "./infra/EngineConfig.js"
export * from "./infra/EngineError.js"
export * as ThreadGoals from "./infra/goals/ThreadGoals.js"
export type { DecodeMode } from "./infra/LineDecoder.js"
export type { FramingEnd } from "./infra/LineFramer.js"
export * as LogStore from "./infra/logs/LogStore.js"
export { PROCESS_UUID } from "./infra/logs/ProcessUuid.js"
export * as SqliteLogger from "./infra/logs/SqliteLogger.js"
export * as MemoryJobs from "./infra/memories/MemoryJobs.js"
export * as ThreadMemories from "./infra/memories/ThreadMemories.js"
export type { ReconcileReport } from "./infra/Reconcile.js"
export * as RolloutFiles from "./infra/RolloutFiles.js"
export * as RolloutFold from "./infra/RolloutFold.js"
export {
  InvalidUtf8,
  LineParseError,
  OversizedLine,
  PartialRecordDropped,
  type ReadIssue,
  RolloutReadError
} from "./infra/RolloutIssue.js"
export * as RolloutReader from "./infra/RolloutReader.js"
export { type Durability, RolloutWriteError, type WriteOptions } from "./infra/RolloutStore.js"
export { StateStoreError } from "./infra/StateStoreError.js"
export type { ThreadDetail } from "./infra/ThreadDetail.js"
export type { VerifyDifference, VerifyReport } from "./infra/Verify.js"
export { AgentNotFound } from "./projections/AgentGraph.js"
export type { ThreadPlacement } from "./projections/ThreadDelta.js"
export type { ThreadListQuery, ThreadSortKey } from "./projections/ThreadList.js"
export type { FileOutcome } from "./projections/ThreadProjector.js"
export type { TurnListQuery, TurnPage } from "./projections/TurnList.js"
