/**
 * rollout-state/testing: the conformance kit. The arbitraries of rollout items, the model-based
 * replay == live property, and `conformanceSuite(factory)`: the engine's guarantees as named
 * cases a host runs against its own engine layer, on any test runner (`rollout-state/testing/vitest`
 * binds them to vitest).
 * @since 0.1.0
 */
export * from "./Arbitraries.js"
export { ConformanceFailure, expectEqual, expectThat } from "./Check.js"
export { type CaseError, type ConformanceCase, conformanceSuite, type SuiteOptions } from "./ConformanceSuite.js"
export { type EngineFactory, type OpenOptions, postgres, sqlite } from "./EngineFactory.js"
export {
  DEAD_OWNER,
  ENGINE_MODEL_PROPERTY,
  engineModelProperty,
  fullDiskAfter,
  type ModelAction,
  modelActionArb,
  runEngineModel
} from "./EngineModel.js"
export { pageMeta, writePage } from "./HistoryPages.js"
export { expectProjectedAsLogged, foldThreadFiles } from "./LogOracle.js"
export { writeRecordedHome } from "./RecordedHome.js"
// What a case injects a failing disk with (`fullDiskAfter`).
export { type RolloutSyscalls, RolloutSyscallsRef } from "../infra/rollout/RolloutStore.js"
export { threadIdOf } from "./ThreadIds.js"
export { type Reopen, type Workbench, workbench } from "./Workbench.js"
