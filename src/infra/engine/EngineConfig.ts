/**
 * What an engine is configured with.
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import { DEFAULT_MESSAGE_KINDS, type MessageKind } from "../../domain/ThreadMessages.js"
import { DEFAULT_SCORING_BUDGET } from "../../projections/ThreadSearch.js"
import type { Durability } from "../rollout/RolloutStore.js"

/** @since 0.1.0 @category models */
export interface EngineConfig {
  /** The rollout home: `sessions/` and `archived_sessions/` live here. */
  readonly home: string
  /** The provider a thread gets when its log names none. */
  readonly defaultModelProvider: string
  /** Files per backfill or rebuild batch (one transaction and one checkpoint each). */
  readonly batchSize: number
  /** How long a running backfill's claim lasts without a checkpoint before another may take over (ms). */
  readonly backfillLeaseMs: number
  /** Whether an append fdatasyncs the rollout before its projection commits (docs/decisions.md). */
  readonly durability: Durability
  /** What the search index holds (`thread_messages`); a change takes effect for what is folded next: rebuild. */
  readonly messageKinds: ReadonlyArray<MessageKind>
  /** Most matching messages a search scores, newest first (`ThreadSearch.ts`). */
  readonly searchScoringBudget: number
}

/** @since 0.1.0 @category tags */
export const EngineConfig = Context.GenericTag<EngineConfig>("rollout-state/EngineConfig")

/** @since 0.1.0 */
export const defaults = {
  defaultModelProvider: "openai",
  batchSize: 200,
  backfillLeaseMs: 15 * 60_000,
  durability: "none",
  messageKinds: DEFAULT_MESSAGE_KINDS,
  searchScoringBudget: DEFAULT_SCORING_BUDGET
} as const

/** @since 0.1.0 @category layers */
export const layer = (config: Pick<EngineConfig, "home"> & Partial<EngineConfig>): Layer.Layer<EngineConfig> =>
  Layer.succeed(EngineConfig, { ...defaults, ...config })
