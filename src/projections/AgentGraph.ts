/**
 * The agent graph (SPEC §5, §11) over `thread_spawn_edges` and `threads.agent_path`: children
 * by child id (optionally of one edge status), descendants breadth-first (by depth, then child id) as the reference returns them,
 * ancestors root first, and agent paths resolved to thread ids.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Layer, Schema } from "effect"
import {
  type AgentPath,
  formatAgentPath,
  type InvalidAgentPath,
  parseAgentPath,
  resolveAgentPath,
  ROOT
} from "../domain/AgentPath.js"
import type { SpawnStatus } from "../domain/RolloutItem.js"
import { chunksOf } from "./Statements.js"

/**
 * No thread of the caller's agent tree has this path.
 * @since 0.1.0
 * @category errors
 */
export class AgentNotFound extends Schema.TaggedError<AgentNotFound>()("AgentNotFound", {
  reference: Schema.String,
  fromThreadId: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `agent ${this.reference} (from thread ${this.fromThreadId}): ${this.reason}`
  }
}

/** @since 0.1.0 @category models */
export interface AgentGraph {
  /** Threads spawned directly by this one, by child id; with `status`, only those whose edge has it. */
  readonly children: (threadId: string, status?: SpawnStatus) => Effect.Effect<ReadonlyArray<string>, SqlError>
  /**
   * Every thread below this one, breadth-first: by depth, then by child id within a depth. Every
   * thread comes after its parent, so a cascade close walks the list from the end (leaves first).
   * With `status`, the walk follows only edges with that status (as the reference's recursive
   * query does): below a closed edge nothing is an open descendant.
   */
  readonly descendants: (threadId: string, status?: SpawnStatus) => Effect.Effect<ReadonlyArray<string>, SqlError>
  /** The threads above this one, root first: the order to resume them. */
  readonly ancestors: (threadId: string) => Effect.Effect<ReadonlyArray<string>, SqlError>
  /** The thread an agent path names, absolute or relative to the calling agent's thread. */
  readonly resolve: (
    reference: string,
    fromThreadId: string
  ) => Effect.Effect<string, AgentNotFound | InvalidAgentPath | SqlError>
}

/** @since 0.1.0 @category tags */
export const AgentGraph = Context.GenericTag<AgentGraph>("rollout-state/AgentGraph")

/** Spawn logs may name parents in a loop: a walk never visits a thread twice. */
const MAX_DEPTH = 10_000

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient

  const childrenOf = (parents: ReadonlyArray<string>, status: SpawnStatus | undefined) =>
    Effect.forEach(chunksOf(parents, 500), (chunk) =>
      sql<{ id: string; parent: string }>`
        SELECT child_thread_id AS id, parent_thread_id AS parent
        FROM thread_spawn_edges
        WHERE parent_thread_id IN ${sql.in(chunk)}${status === undefined ? sql`` : sql` AND status = ${status}`}`).pipe(
        // By child id across every chunk, as SQLite's binary collation orders ids.
        Effect.map((chunks) => chunks.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
      )

  const parentOf = (threadId: string) =>
    Effect.map(
      sql<
        { parent: string }
      >`SELECT parent_thread_id AS parent FROM thread_spawn_edges WHERE child_thread_id = ${threadId}`,
      (rows) => rows[0]?.parent
    )

  const descendants = (threadId: string, status?: SpawnStatus) =>
    Effect.gen(function*() {
      const seen = new Set([threadId])
      const levels: Array<Array<string>> = []
      let frontier = [threadId]
      while (frontier.length > 0 && levels.length < MAX_DEPTH) {
        const next = (yield* childrenOf(frontier, status)).map((r) => r.id).filter((id) =>
          !seen.has(id) && seen.add(id)
        )
        if (next.length > 0) levels.push(next)
        frontier = next
      }
      return levels.flat()
    })

  const ancestors = (threadId: string) =>
    Effect.gen(function*() {
      const seen = new Set([threadId])
      const chain: Array<string> = []
      let current = yield* parentOf(threadId)
      while (current !== undefined && !seen.has(current) && chain.length < MAX_DEPTH) {
        seen.add(current)
        chain.push(current)
        current = yield* parentOf(current)
      }
      return chain.reverse()
    })

  const agentPathOf = (threadId: string) =>
    Effect.map(
      sql<{ agent_path: string | null; has_parent: number }>`
        SELECT t.agent_path, EXISTS (SELECT 1 FROM thread_spawn_edges WHERE child_thread_id = t.id) AS has_parent
        FROM threads t WHERE t.id = ${threadId}`,
      (rows) => rows[0]
    )

  const resolve = (reference: string, fromThreadId: string) =>
    Effect.gen(function*() {
      const notFound = (reason: string) => new AgentNotFound({ reference, fromThreadId, reason })
      const caller = yield* agentPathOf(fromThreadId)
      if (caller === undefined) return yield* notFound("the calling thread is unknown")
      let callerPath: AgentPath
      if (caller.agent_path !== null) callerPath = yield* parseAgentPath(caller.agent_path)
      else if (caller.has_parent === 0) callerPath = ROOT
      else return yield* notFound("the calling thread was spawned without an agent path")
      const target = yield* resolveAgentPath(reference, callerPath)
      // Paths are relative to the tree the user started: walk up to its root, then down.
      const up = yield* ancestors(fromThreadId)
      const root = up[0] ?? fromThreadId
      let current = root
      for (let depth = 1; depth <= target.segments.length; depth++) {
        const path = formatAgentPath({ segments: target.segments.slice(0, depth) })
        const [match] = yield* sql<{ id: string }>`
          SELECT t.id FROM thread_spawn_edges e JOIN threads t ON t.id = e.child_thread_id
          WHERE e.parent_thread_id = ${current} AND t.agent_path = ${path}
          ORDER BY e.status = 'open' DESC, t.created_at_ms DESC, t.id DESC LIMIT 1`
        if (match === undefined) return yield* notFound(`no agent at ${path}`)
        current = match.id
      }
      return current
    })

  return AgentGraph.of({
    children: (threadId, status) => Effect.map(childrenOf([threadId], status), (rows) => rows.map((r) => r.id)),
    descendants,
    ancestors,
    resolve
  })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(AgentGraph, make)
