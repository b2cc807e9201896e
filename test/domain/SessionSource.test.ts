import { describe, expect, it } from "vitest"
import { sourceColumn, sourceKind, threadSpawnOf } from "../../src/domain/SessionSource.js"

describe("session sources", () => {
  it("stores strings as they are and objects as compact JSON", () => {
    expect(sourceColumn("cli")).toBe("cli")
    expect(sourceColumn({ subagent: { review: 1 } })).toBe(`{"subagent":{"review":1}}`)
  })

  it("takes the kind of a column: the string, or the single tag of an object", () => {
    expect(sourceKind("cli")).toBe("cli")
    expect(sourceKind(`{"subagent":{"x":1}}`)).toBe("subagent")
    expect(sourceKind(`{"a":1,"b":2}`)).toBe(`{"a":1,"b":2}`)
    expect(sourceKind("{}")).toBe("{}")
    expect(sourceKind("{not json")).toBe("{not json")
    expect(sourceKind(`{"a":1`)).toBe(`{"a":1`)
    expect(sourceKind("[1]")).toBe("[1]")
  })

  it("finds the spawn record of a sub-agent, and nothing in any other source", () => {
    const spawn = { parent_thread_id: "p", depth: 1, agent_path: "/root/a", agent_nickname: "n", agent_role: "r" }
    expect(threadSpawnOf({ subagent: { thread_spawn: spawn } })).toEqual(spawn)
    expect(threadSpawnOf(undefined)).toBeUndefined()
    expect(threadSpawnOf("subagent")).toBeUndefined()
    expect(threadSpawnOf({ subagent: "review" })).toBeUndefined()
    expect(threadSpawnOf({ subagent: { thread_spawn: "x" } })).toBeUndefined()
    expect(threadSpawnOf({ subagent: { thread_spawn: { depth: "deep" } } })).toBeUndefined()
    expect(threadSpawnOf({ custom: { thread_spawn: spawn } })).toBeUndefined()
  })
})
