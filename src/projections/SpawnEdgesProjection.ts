/**
 * The `thread_spawn_edges` projection: parent → child for every thread whose log names a
 * parent (a sub-agent's spawn source, or an explicit `parent_thread_id`).
 * @since 0.1.0
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Layer } from "effect"
import { Database, type Statements } from "../infra/sqlite/Database.js"
import { chunksOf, statementForRows, type ThreadDelta } from "./ThreadDelta.js"

/** @since 0.1.0 @category models */
export interface SpawnEdgesProjection {
  readonly apply: (deltas: ReadonlyArray<ThreadDelta>) => Effect.Effect<void, SqlError>
}

/** @since 0.1.0 @category tags */
export const SpawnEdgesProjection = Context.GenericTag<SpawnEdgesProjection>("rollout-state/SpawnEdgesProjection")

const deleteEdges = statementForRows(1, (ids) => `DELETE FROM thread_spawn_edges WHERE child_thread_id IN (${ids})`)
const upsertEdges = statementForRows(
  3,
  (values) =>
    `INSERT INTO thread_spawn_edges (child_thread_id, parent_thread_id, status) VALUES ${values}
      ON CONFLICT (child_thread_id) DO UPDATE SET parent_thread_id = excluded.parent_thread_id`
)

/**
 * The projection's statements as synchronous calls, for a caller already on the connection
 * (`Database.direct.use` or `transact`); the service below wraps them in an effect.
 * @since 0.1.0
 */
export const spawnEdgeRows = {
  /** Deletes the edges naming these threads as children. */
  clear: (statements: Statements, childIds: ReadonlyArray<string>): void => {
    for (const chunk of chunksOf(childIds, 500)) statements.run(deleteEdges(chunk.length), chunk)
  },
  apply: (statements: Statements, deltas: ReadonlyArray<ThreadDelta>): void => {
    const changed = deltas.filter((d) => d.before?.metadata.parentThreadId !== d.after.metadata.parentThreadId)
    if (changed.length === 0) return
    const orphaned = changed.filter((d) => d.after.metadata.parentThreadId === null).map((d) => d.after.metadata.id)
    spawnEdgeRows.clear(statements, orphaned)
    const edges = changed.flatMap((d) =>
      d.after.metadata.parentThreadId === null ? [] : [[d.after.metadata.id, d.after.metadata.parentThreadId, "open"]]
    )
    for (const chunk of chunksOf(edges)) statements.run(upsertEdges(chunk.length), chunk.flat())
  }
}

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const { direct } = yield* Database
  return SpawnEdgesProjection.of({
    apply: (deltas) => direct.use((s) => spawnEdgeRows.apply(s, deltas))
  })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(SpawnEdgesProjection, make)
