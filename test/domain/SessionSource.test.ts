import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { kindsOfFilter, sourceColumn, sourceKind, threadSpawnOf } from "../../src/domain/SessionSource.js"

describe("source kinds (SPEC §11)", () => {
  it.each([
    ["cli", "cli"],
    ["vscode", "vscode"],
    ["exec", "exec"],
    ["mcp", "mcp"],
    ["app_server", "appServer"],
    ["appServer", "appServer"],
    ["unknown", "unknown"],
    ["atlas", "unknown"],
    ["", "unknown"],
    ["{not json", "unknown"]
  ])("the string source %j is of kind %s", (source, kind) => {
    expect(sourceKind(sourceColumn(source))).toBe(kind)
  })

  it.each([
    [{ subagent: "review" }, "subAgentReview"],
    [{ subagent: "compact" }, "subAgentCompact"],
    [{ subagent: { thread_spawn: { parent_thread_id: "p", depth: 1 } } }, "subAgentThreadSpawn"],
    [{ subagent: { other: "guardian" } }, "subAgentOther"],
    [{ subagent: "memory_consolidation" }, "subAgentOther"],
    [{ custom: "atlas" }, "custom"],
    [{ internal: "memory_consolidation" }, "internal"],
    [{ something: 1 }, "unknown"],
    [{}, "unknown"],
    [{ subagent: {} }, "subAgentOther"],
    [{ subagent: null }, "subAgentOther"],
    [{ subagent: "review", custom: "x" }, "unknown"]
  ])("the object source %j is of kind %s", (source, kind) => {
    expect(sourceKind(sourceColumn(source))).toBe(kind)
  })

  it("an empty filter selects the interactive kinds; subagent all four sub-agent kinds; appServer also mcp", () => {
    expect(kindsOfFilter([])).toEqual(Either.right(["cli", "vscode"]))
    expect(kindsOfFilter(["subagent"])).toEqual(
      Either.right(["subAgentReview", "subAgentCompact", "subAgentThreadSpawn", "subAgentOther"])
    )
    expect(kindsOfFilter(["subAgent", "subAgentReview"])).toEqual(
      Either.right(["subAgentReview", "subAgentCompact", "subAgentThreadSpawn", "subAgentOther"])
    )
    expect(kindsOfFilter(["appServer"])).toEqual(Either.right(["appServer", "mcp"]))
    expect(kindsOfFilter(["mcp", "exec"])).toEqual(Either.right(["exec", "mcp"]))
  })

  it("a filter value that names no kind is refused, naming it", () => {
    const refused = kindsOfFilter(["cli", "subagents"])
    expect(Either.isLeft(refused) && refused.left.message).toMatch(/source kind "subagents": not one of cli, vscode/)
  })

  it("stores strings as they are and objects as compact JSON", () => {
    expect(sourceColumn("cli")).toBe("cli")
    expect(sourceColumn({ subagent: { review: 1 } })).toBe(`{"subagent":{"review":1}}`)
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

  it("finds no spawn record under a sub-agent or spawn member that is null or an array", () => {
    expect(threadSpawnOf({ subagent: null })).toBeUndefined()
    expect(threadSpawnOf({ subagent: [{ thread_spawn: {} }] })).toBeUndefined()
    expect(threadSpawnOf({ subagent: { thread_spawn: [] } })).toBeUndefined()
    expect(threadSpawnOf({ subagent: { thread_spawn: null } })).toBeUndefined()
    expect(threadSpawnOf({ subagent: { thread_spawn: {} } })).toEqual({})
  })
})
