/**
 * The `thread_spawn_edges` projection: parent → child for every thread whose log names a
 * parent (a sub-agent's spawn source, or an explicit `parent_thread_id`).
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Layer } from "effect"
import { chunksOf, type ThreadDelta } from "./ThreadDelta.js"

/** @since 0.1.0 @category models */
export interface SpawnEdgesProjection {
  readonly apply: (deltas: ReadonlyArray<ThreadDelta>) => Effect.Effect<void, SqlError>
}

/** @since 0.1.0 @category tags */
export const SpawnEdgesProjection = Context.GenericTag<SpawnEdgesProjection>("rollout-state/SpawnEdgesProjection")

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return SpawnEdgesProjection.of({
    apply: (deltas) => {
      const changed = deltas.filter((d) => d.before?.metadata.parentThreadId !== d.after.metadata.parentThreadId)
      if (changed.length === 0) return Effect.void
      const edges = changed.flatMap((d) =>
        d.after.metadata.parentThreadId === null
          ? []
          : [{ child_thread_id: d.after.metadata.id, parent_thread_id: d.after.metadata.parentThreadId, status: "open" }]
      )
      const orphaned = changed.filter((d) => d.after.metadata.parentThreadId === null).map((d) => d.after.metadata.id)
      return Effect.zipRight(
        Effect.forEach(chunksOf(orphaned, 500), (chunk) =>
          sql`DELETE FROM thread_spawn_edges WHERE child_thread_id IN ${sql.in(chunk)}`, { discard: true }),
        Effect.forEach(chunksOf(edges), (chunk) =>
          sql`INSERT INTO thread_spawn_edges ${sql.insert(chunk)}
              ON CONFLICT (child_thread_id) DO UPDATE SET parent_thread_id = excluded.parent_thread_id`, { discard: true })
      )
    }
  })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(SpawnEdgesProjection, make)
