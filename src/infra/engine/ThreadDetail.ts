/**
 * Thread detail (SPEC §5): metadata, dynamic tools and the latest model and effort.
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { DynamicTool } from "../../domain/DynamicTool.js"
import type { ThreadMetadata } from "../../domain/ThreadState.js"
import { DynamicToolsProjection } from "../../projections/DynamicToolsProjection.js"
import type { ThreadPlacement } from "../../projections/ThreadDelta.js"
import { metadataOf, placementOf, ThreadsProjection } from "../../projections/ThreadsProjection.js"
import { foldRolloutFile } from "../rollout/RolloutFold.js"
import { mapDatabaseError } from "../sqlite/Database.js"
import { EngineConfig } from "./EngineConfig.js"
import { ThreadNotFound } from "./EngineError.js"
import { locateThread, projectThreadFile } from "./ThreadFiles.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ThreadDetail {
  readonly metadata: ThreadMetadata
  readonly placement: ThreadPlacement
  /** In the order the session listed them; `hidden` ones are flagged, not dropped. */
  readonly dynamicTools: ReadonlyArray<DynamicTool>
  /** From the last turn context: what the next turn would run with. */
  readonly latestModel: string | null
  readonly latestReasoningEffort: string | null
}

const dbError = mapDatabaseError

/**
 * Reads the thread's rows, projecting its file first when it has none. Tools come from
 * SQLite; a thread with no tool rows there (a database written by an older release or
 * another implementation) has them read from its rollout, and projected.
 * @since 0.1.0
 */
export const readThreadDetail = (threadId: string) =>
  Effect.gen(function*() {
    const config = yield* EngineConfig
    const threads = yield* ThreadsProjection
    const tools = yield* DynamicToolsProjection
    let row = (yield* dbError("read thread")(threads.load([threadId]))).get(threadId)
    if (row === undefined) {
      yield* projectThreadFile(threadId, yield* locateThread(threadId))
      row = (yield* dbError("read thread")(threads.load([threadId]))).get(threadId)
    }
    // The file found by name holds another thread's log.
    if (row === undefined) return yield* new ThreadNotFound({ threadId })
    let dynamicTools = (yield* dbError("read tools")(tools.load([threadId]))).get(threadId) ?? []
    if (dynamicTools.length === 0) {
      const folded = yield* foldRolloutFile(row.rollout_path, { defaultModelProvider: config.defaultModelProvider })
        .pipe(
          Effect.option
        )
      if (
        folded._tag === "Some" && folded.value.state.metadata.id === threadId &&
        folded.value.state.dynamicTools.length > 0
      ) {
        dynamicTools = folded.value.state.dynamicTools
        yield* tools.apply([{ before: undefined, after: folded.value.state, placement: placementOf(row) }]).pipe(
          dbError("project tools"),
          // A read-only database (SPEC §12) still answers, with the tools read from the file.
          Effect.catchIf((error) => error.reason === "read-only", () => Effect.void)
        )
      }
    }
    const metadata = metadataOf(row)
    return {
      metadata,
      placement: placementOf(row),
      dynamicTools,
      latestModel: metadata.model,
      latestReasoningEffort: metadata.reasoningEffort
    } satisfies ThreadDetail
  })
