/**
 * The `thread_spawn_edges` projection: parent → child for every thread whose log names a
 * parent (a sub-agent's spawn source, or an explicit `parent_thread_id`), with the child's
 * spawn status (`open` | `closed`, SPEC §11).
 * @since 0.1.0
 */
import { driftOf } from "./Drift.js"
import type { Projection } from "./Projection.js"
import {
  chunksOf,
  KEYS_PER_STATEMENT,
  ofThreads,
  type Program,
  run,
  runByKeys,
  statementForRows,
  values
} from "./Statements.js"
import type { ThreadDelta } from "./ThreadDelta.js"

const deleteEdges = statementForRows(1, (ids) => `DELETE FROM thread_spawn_edges WHERE child_thread_id IN (${ids})`)
const selectEdges = statementForRows(
  1,
  (ids) => `SELECT child_thread_id, parent_thread_id, status FROM thread_spawn_edges WHERE child_thread_id IN (${ids})`
)
const upsertEdges = statementForRows(
  3,
  (values) =>
    `INSERT INTO thread_spawn_edges (child_thread_id, parent_thread_id, status) VALUES ${values}
      ON CONFLICT (child_thread_id) DO UPDATE SET parent_thread_id = excluded.parent_thread_id, status = excluded.status`
)

function* applyEdges(deltas: ReadonlyArray<ThreadDelta>): Program<void> {
  const changed = deltas.filter((d) =>
    d.before?.metadata.parentThreadId !== d.after.metadata.parentThreadId ||
    d.before.metadata.spawnStatus !== d.after.metadata.spawnStatus
  )
  if (changed.length === 0) return
  const orphaned = changed.filter((d) => d.after.metadata.parentThreadId === null).map((d) => d.after.metadata.id)
  yield* spawnEdgeRows.clear(orphaned)
  const edges = changed.flatMap((d) =>
    d.after.metadata.parentThreadId === null
      ? []
      : [[d.after.metadata.id, d.after.metadata.parentThreadId, d.after.metadata.spawnStatus]]
  )
  for (const chunk of chunksOf(edges)) yield* run(upsertEdges(chunk.length), chunk.flat())
}

/**
 * The projection's programs.
 * @since 0.1.0
 */
export const spawnEdgeRows = {
  /** Deletes the edges naming these threads as children. */
  clear: (childIds: ReadonlyArray<string>): Program<void> => runByKeys(deleteEdges, childIds),
  apply: applyEdges,
  /** Each of these children's edge (parent and status), when it has one. */
  loadEdges: function*(childIds: ReadonlyArray<string>): Program<ReadonlyMap<string, SpawnEdge>> {
    const edges = new Map<string, SpawnEdge>()
    for (const chunk of chunksOf(childIds, KEYS_PER_STATEMENT)) {
      for (const [child, parent, status] of yield* values(selectEdges(chunk.length), chunk)) {
        edges.set(child as string, { parent: parent as string, status: status as string })
      }
    }
    return edges
  }
}

/**
 * The edge to a child: its parent and its status.
 * @since 0.1.0
 */
export interface SpawnEdge {
  readonly parent: string
  readonly status: string
}

/** @since 0.1.0 */
export const spawnEdgesProjection: Projection = {
  table: "thread_spawn_edges",
  key: ["child_thread_id"],
  overwrites: false,
  apply: spawnEdgeRows.apply,
  clear: spawnEdgeRows.clear,
  reset: (own) => run(`DELETE FROM thread_spawn_edges${ofThreads("child_thread_id", own)}`, []),
  drift: function*(folds) {
    const edges = yield* spawnEdgeRows.loadEdges(folds.map((f) => f.after.metadata.id))
    return driftOf(
      folds,
      "spawnEdge",
      (id) => edges.get(id) ?? null,
      ({ after: { metadata } }) =>
        metadata.parentThreadId === null ? null : { parent: metadata.parentThreadId, status: metadata.spawnStatus }
    )
  }
}
