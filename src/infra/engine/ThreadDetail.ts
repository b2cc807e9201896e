/**
 * Thread detail (SPEC §5): metadata, dynamic tools and the latest model and effort.
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { DynamicTool } from "../../domain/DynamicTool.js"
import type { ThreadMetadata } from "../../domain/ThreadState.js"
import { toolRows } from "../../projections/DynamicToolsProjection.js"
import type { ThreadPlacement } from "../../projections/ThreadDelta.js"
import { metadataOf, placementOf } from "../../projections/ThreadsProjection.js"
import { foldRolloutFile } from "../rollout/RolloutFold.js"
import { SqlDatabase } from "../sql/SqlDatabase.js"
import { EngineConfig } from "./EngineConfig.js"
import { ThreadNotFound } from "./EngineError.js"
import { ThreadFiles } from "./ThreadFiles.js"
import { ThreadProjector } from "./ThreadProjector.js"

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

/**
 * Reads the thread's rows, projecting its file first when it has none. Tools come from
 * SQLite; a thread with no tool rows there (a database written by an older release or
 * another implementation) has them read from its rollout, and its file projected again.
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const config = yield* EngineConfig
  const database = yield* SqlDatabase
  const files = yield* ThreadFiles
  const projector = yield* ThreadProjector
  const named = database.toDatabaseError

  return (threadId: string) =>
    Effect.gen(function*() {
      let row = yield* files.row(threadId)
      if (row === undefined) {
        yield* files.project(threadId, yield* files.locate(threadId))
        row = yield* files.row(threadId)
      }
      // The file found by name holds another thread's log.
      if (row === undefined) return yield* new ThreadNotFound({ threadId })
      let dynamicTools = (yield* database.run(toolRows.load([threadId])).pipe(
        Effect.mapError(named("read tools"))
      )).get(threadId) ?? []
      if (dynamicTools.length === 0) {
        const folded = yield* Effect.option(
          foldRolloutFile(row.rollout_path, { defaultModelProvider: config.defaultModelProvider })
        )
        if (
          folded._tag === "Some" && folded.value.state.metadata.id === threadId &&
          folded.value.state.dynamicTools.length > 0
        ) {
          dynamicTools = folded.value.state.dynamicTools
          // Every projection of the thread, replaced as one checked write.
          yield* projector.project([{ path: row.rollout_path, archived: row.archived === 1 }], {
            from: "scratch",
            defaultModelProvider: config.defaultModelProvider
          }).pipe(
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
})
