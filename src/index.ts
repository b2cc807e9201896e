/**
 * rollout-state: the engine, its layers and the domain it folds.
 * @since 0.1.0
 */
export * from "./infra/Engine.js"
export * as Database from "./infra/Database.js"
export * as EngineConfig from "./infra/EngineConfig.js"
export * from "./infra/EngineError.js"
export * as RolloutReader from "./infra/RolloutReader.js"
export * as RolloutFold from "./infra/RolloutFold.js"
export * as RolloutFiles from "./infra/RolloutFiles.js"
export * as RolloutItem from "./domain/RolloutItem.js"
export * as ThreadFold from "./domain/ThreadFold.js"
export * as ThreadState from "./domain/ThreadState.js"
export * as AgentPath from "./domain/AgentPath.js"
export * as GitPatch from "./domain/GitPatch.js"
export * as PageCursor from "./domain/PageCursor.js"
export { AgentNotFound } from "./projections/AgentGraph.js"
export type { ThreadDetail } from "./infra/ThreadDetail.js"
export type { ThreadListQuery } from "./projections/ThreadList.js"
export type { TurnListQuery, TurnPage } from "./projections/TurnList.js"
