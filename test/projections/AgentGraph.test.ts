import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { formatAgentPath, relativeAgentPath } from "../../src/domain/AgentPath.js"
import * as Engine from "../../src/infra/engine/Engine.js"
import { runs } from "../fixtures/arbitraries.js"

interface Node {
  readonly parent: number | undefined
  readonly segments: ReadonlyArray<string>
}

/** A tree as parent indices (each node's parent comes before it); sibling names are unique. */
const treeArb = fc.array(fc.tuple(fc.nat(), fc.constantFrom("a", "b", "agent_1", "x_2")), { maxLength: 7 }).map(
  (picks) => {
    const nodes: Array<Node> = [{ parent: undefined, segments: [] }]
    for (const [pick, name] of picks) {
      const parent = pick % nodes.length
      const taken = new Set(nodes.filter((n) => n.parent === parent).map((n) => n.segments.at(-1)))
      const unique = taken.has(name) ? `${name}_${nodes.length}` : name
      nodes.push({ parent, segments: [...nodes[parent]!.segments, unique] })
    }
    return nodes
  }
)

const freshLayer = () => {
  const dir = mkdtempSync(join(tmpdir(), "graph-"))
  return Layer.fresh(Engine.layer({ home: join(dir, "home"), database: join(dir, "state.sqlite") }))
}

/** Creates the tree's threads; returns their ids in node order. */
const createTree = (engine: Engine.Engine, nodes: ReadonlyArray<Node>) =>
  Effect.gen(function*() {
    const ids: Array<string> = []
    for (const node of nodes) {
      const created = yield* engine.createThread(
        node.parent === undefined
          ? { cwd: "/w" }
          : { cwd: "/w", parent_thread_id: ids[node.parent]!, agent_path: formatAgentPath(node) }
      )
      ids.push(created.metadata.id)
    }
    return ids
  })

const isAncestor = (nodes: ReadonlyArray<Node>, above: number, below: number): boolean => {
  for (let at = nodes[below]!.parent; at !== undefined; at = nodes[at]!.parent) if (at === above) return true
  return false
}

describe("agent graph", () => {
  it.live("lists children, descendants breadth-first and ancestors root first, and resolves paths from a caller", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      // root ─ agent_1 ─ agent_3
      //      └ agent_2
      const root = yield* engine.createThread({ cwd: "/w" })
      const spawn = (parent: string, path: string) =>
        Effect.map(engine.createThread({ cwd: "/w", parent_thread_id: parent, agent_path: path }), (t) => t.metadata.id)
      const a1 = yield* spawn(root.metadata.id, "/root/agent_1")
      const a2 = yield* spawn(root.metadata.id, "/root/agent_2")
      const a3 = yield* spawn(a1, "/root/agent_1/agent_3")
      expect(yield* engine.agentChildren(root.metadata.id)).toEqual([a1, a2].sort())
      expect(yield* engine.agentDescendants(root.metadata.id)).toEqual([...[a1, a2].sort(), a3])
      expect(yield* engine.agentAncestors(a3)).toEqual([root.metadata.id, a1])
      expect(yield* engine.resolveAgentPath("agent_3", a1)).toBe(a3)
      expect(yield* engine.resolveAgentPath("../agent_2", a1)).toBe(a2)
      expect(yield* engine.resolveAgentPath("./agent_1/agent_3", root.metadata.id)).toBe(a3)
      expect(yield* engine.resolveAgentPath("/root", a3)).toBe(root.metadata.id)
      expect(yield* engine.resolveAgentPath("..", a3)).toBe(a1)
      const missing = yield* Effect.exit(engine.resolveAgentPath("agent_9", a1))
      expect(Exit.isFailure(missing) && String(missing.cause)).toMatch(
        /AgentNotFound.*no agent at \/root\/agent_1\/agent_9/
      )
      const invalid = yield* Effect.exit(engine.resolveAgentPath("../../..", a3))
      expect(Exit.isFailure(invalid) && String(invalid.cause)).toMatch(/InvalidAgentPath/)
    }).pipe(Effect.provide(freshLayer())))

  it.live("orders children by child id and descendants by depth, then child id, whatever the spawn order (SPEC §11)", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const id = (n: number) => `00000000-0000-4000-8000-0000000000${n}`
      const spawn = (child: number, parent: number) =>
        engine.createThread({ id: id(child), cwd: "/w", parent_thread_id: id(parent) })
      // The reference's own case: 20 spawns 22, 21, 25; 21 spawns 24; 22 spawns 23; 25 spawns 26,
      // each created in that order (so neither creation time nor parent order gives id order).
      yield* engine.createThread({ id: id(20), cwd: "/w" })
      yield* spawn(22, 20)
      yield* spawn(21, 20)
      yield* spawn(24, 21)
      yield* spawn(23, 22)
      yield* spawn(25, 20)
      yield* spawn(26, 25)
      expect(yield* engine.agentChildren(id(20))).toEqual([id(21), id(22), id(25)])
      expect(yield* engine.agentDescendants(id(20))).toEqual([21, 22, 25, 23, 24, 26].map(id))
      expect(yield* engine.agentDescendants(id(21))).toEqual([id(24)])
      expect(yield* engine.agentAncestors(id(26))).toEqual([id(20), id(25)])
    }).pipe(Effect.provide(freshLayer())))

  it.live(
    "in any two agent trees, resolving any thread's absolute or relative path from any caller of its tree gives that thread, descendants run breadth-first by depth then id and ancestors run root first",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(treeArb, async (nodes) => {
            const check = Effect.gen(function*() {
              const engine = yield* Engine.Engine
              // Two trees with the same paths: resolution must stay within the caller's tree.
              const trees = [yield* createTree(engine, nodes), yield* createTree(engine, nodes)]
              for (const ids of trees) {
                for (const [t, target] of nodes.entries()) {
                  // Parents come before children in node order, so this is root first.
                  expect(yield* engine.agentAncestors(ids[t]!)).toEqual(
                    nodes.flatMap((_, a) => (isAncestor(nodes, a, t) ? [ids[a]!] : []))
                  )
                  const children = nodes.flatMap((n, c) => (n.parent === t ? [ids[c]!] : []))
                  expect(yield* engine.agentChildren(ids[t]!)).toEqual([...children].sort())
                  // Breadth-first: by depth below t, then by id.
                  const depth = (d: number) => nodes[d]!.segments.length
                  const below = nodes.flatMap((_, d) => (isAncestor(nodes, t, d) ? [d] : []))
                    .sort((a, b) => depth(a) - depth(b) || (ids[a]! < ids[b]! ? -1 : 1))
                    .map((d) => ids[d]!)
                  expect(yield* engine.agentDescendants(ids[t]!)).toEqual(below)
                  for (const [c, caller] of nodes.entries()) {
                    expect(yield* engine.resolveAgentPath(formatAgentPath(target), ids[c]!)).toBe(ids[t])
                    expect(yield* engine.resolveAgentPath(relativeAgentPath(caller, target), ids[c]!)).toBe(ids[t])
                  }
                }
              }
            })
            await Effect.runPromise(check.pipe(Effect.provide(freshLayer())))
          }),
          { numRuns: runs(12) }
        )
      ),
    120_000
  )
})

describe("spawn edge status", () => {
  const id = (n: number) => `00000000-0000-4000-8000-0000000000${n}`
  /** 20 ─ 21 ─ 23 ─ 25, and 20 ─ 22 ─ 24: two branches, spawned in id order. */
  const tree = (engine: Engine.Engine) =>
    Effect.gen(function*() {
      yield* engine.createThread({ id: id(20), cwd: "/w" })
      for (const [child, parent] of [[21, 20], [22, 20], [23, 21], [24, 22], [25, 23]] as const) {
        yield* engine.createThread({ id: id(child), cwd: "/w", parent_thread_id: id(parent) })
      }
    })
  const statuses = (engine: Engine.Engine, ns: ReadonlyArray<number>) =>
    Effect.forEach(ns, (n) => Effect.map(engine.getThread(id(n)), (r) => r?.metadata.spawnStatus))

  it.live("closing a thread closes the edge to it; children and descendants filter by status; a rebuild keeps it", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* tree(engine)
      expect(yield* engine.closeThread(id(21))).toEqual([id(21)])
      // Closing again changes nothing and writes nothing.
      const record = yield* engine.getThread(id(21))
      expect(yield* engine.closeThread(id(21))).toEqual([])
      expect(yield* engine.getThread(id(21))).toEqual(record)
      expect(yield* engine.agentChildren(id(20))).toEqual([id(21), id(22)])
      expect(yield* engine.agentChildren(id(20), "open")).toEqual([id(22)])
      expect(yield* engine.agentChildren(id(20), "closed")).toEqual([id(21)])
      expect(yield* engine.agentDescendants(id(20))).toEqual([21, 22, 23, 24, 25].map(id))
      // The walk follows edges of the status only: 23 and 25 hang below a closed edge.
      expect(yield* engine.agentDescendants(id(20), "open")).toEqual([id(22), id(24)])
      expect(yield* engine.agentDescendants(id(20), "closed")).toEqual([id(21)])
      const sql = yield* SqlClient.SqlClient
      const edges = () => sql`SELECT child_thread_id, status FROM thread_spawn_edges ORDER BY child_thread_id`
      const before = yield* edges()
      expect(before.filter((e) => e["status"] === "closed").map((e) => e["child_thread_id"])).toEqual([id(21)])
      yield* engine.rebuild()
      expect(yield* edges()).toEqual(before)
      expect(yield* statuses(engine, [20, 21, 22])).toEqual(["open", "closed", "open"])
      expect((yield* engine.verify()).differences).toEqual([])
      // Migration 0011 holds both columns to the two statuses.
      for (const table of ["thread_spawn_edges SET status", "threads SET spawn_status"]) {
        expect(Exit.isFailure(yield* Effect.exit(sql.unsafe(`UPDATE ${table} = 'paused'`)))).toBe(true)
      }
      expect(yield* engine.resumeThread(id(21))).toEqual([id(21)])
      expect(yield* engine.agentChildren(id(20), "open")).toEqual([id(21), id(22)])
    }).pipe(Effect.provide(freshLayer())))

  it.live("cascade close closes open descendants leaves first, then the thread; cascade resume reopens ancestors root first", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* tree(engine)
      yield* engine.closeThread(id(24))
      // 24 is closed already, so it is not walked again; the rest from the end of the breadth-first list.
      expect(yield* engine.closeThread(id(20), { cascade: true })).toEqual([25, 23, 22, 21, 20].map(id))
      expect(yield* statuses(engine, [20, 21, 22, 23, 24, 25])).toEqual(Array(6).fill("closed"))
      expect(yield* engine.resumeThread(id(25), { cascade: true })).toEqual([20, 21, 23, 25].map(id))
      expect(yield* statuses(engine, [20, 21, 22, 23, 24, 25])).toEqual(
        ["open", "open", "closed", "open", "closed", "open"]
      )
      const live = yield* Effect.forEach([20, 21, 22, 23, 24, 25], (n) => engine.getThread(id(n)))
      yield* engine.rebuild()
      expect(yield* Effect.forEach([20, 21, 22, 23, 24, 25], (n) => engine.getThread(id(n)))).toEqual(live)
    }).pipe(Effect.provide(freshLayer())))

  it.live("cascade resume skips an ancestor deleted since: the child's log still names it", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* tree(engine)
      yield* engine.closeThread(id(20), { cascade: true })
      yield* engine.deleteThread(id(21))
      // 21's own edge went with its rows, so the walk up from 23 ends at 21.
      expect(yield* engine.agentAncestors(id(23))).toEqual([id(21)])
      expect(yield* engine.resumeThread(id(23), { cascade: true })).toEqual([id(23)])
    }).pipe(Effect.provide(freshLayer())))

  it.live("archiving a thread archives its open descendants only", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* tree(engine)
      yield* engine.closeThread(id(21))
      yield* engine.archiveThread(id(20))
      const archived = yield* Effect.forEach([20, 21, 22, 23, 24, 25], (n) =>
        Effect.map(engine.getThread(id(n)), (r) => r?.placement.archived))
      expect(archived).toEqual([true, false, true, false, true, false])
    }).pipe(Effect.provide(freshLayer())))
})
