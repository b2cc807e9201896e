import { describe, expect, it } from "vitest"
import { normalizeDynamicTools } from "../../src/domain/DynamicTool.js"

const tool = (
  name: string,
  more: Partial<{ namespace: string | null; description: string; inputSchema: unknown; hidden: boolean }> = {}
) => ({
  name,
  namespace: null,
  description: "",
  inputSchema: {},
  hidden: false,
  ...more
})

describe("normalizeDynamicTools", () => {
  it("reads snake_case and camelCase specs, with their defaults", () => {
    expect(normalizeDynamicTools([
      { name: "a" },
      { name: "b", description: "B", input_schema: { type: "object" }, namespace: "ns" },
      { name: "c", inputSchema: [1] },
      { name: "d", parameters: { p: true } },
      { name: "e", description: null, namespace: null }
    ])).toEqual([
      tool("a"),
      tool("b", { description: "B", inputSchema: { type: "object" }, namespace: "ns" }),
      tool("c", { inputSchema: [1] }),
      tool("d", { inputSchema: { p: true } }),
      tool("e")
    ])
  })

  it("prefers input_schema over inputSchema over parameters", () => {
    expect(normalizeDynamicTools([{ name: "a", input_schema: 1, inputSchema: 2, parameters: 3 }])[0]?.inputSchema).toBe(
      1
    )
    expect(normalizeDynamicTools([{ name: "a", inputSchema: 2, parameters: 3 }])[0]?.inputSchema).toBe(2)
  })

  it("hides a deferred tool, or one not exposed to the context unless deferral says otherwise", () => {
    const hidden = (spec: Record<string, unknown>) => normalizeDynamicTools([{ name: "t", ...spec }])[0]?.hidden
    expect(hidden({})).toBe(false)
    expect(hidden({ defer_loading: true })).toBe(true)
    expect(hidden({ deferLoading: true })).toBe(true)
    expect(hidden({ defer_loading: false })).toBe(false)
    expect(hidden({ defer_loading: null, deferLoading: true })).toBe(true)
    expect(hidden({ expose_to_context: false })).toBe(true)
    expect(hidden({ exposeToContext: false })).toBe(true)
    expect(hidden({ expose_to_context: null, exposeToContext: false })).toBe(true)
    expect(hidden({ expose_to_context: true })).toBe(false)
    expect(hidden({ defer_loading: false, expose_to_context: false })).toBe(false)
    expect(hidden({ defer_loading: null, expose_to_context: false })).toBe(true)
  })

  it("flattens namespace groups, naming the group by its namespace, else its name, else the outer group", () => {
    expect(normalizeDynamicTools([
      { namespace: "g1", name: "ignored", tools: [{ name: "a" }, { name: "b", namespace: "own" }] },
      { name: "g2", tools: [{ name: "c" }, { tools: [{ name: "d" }] }] },
      { tools: [{ name: "e" }] },
      { namespace: 7, tools: [{ name: "f" }] }
    ])).toEqual([
      tool("a", { namespace: "g1" }),
      tool("b", { namespace: "own" }),
      tool("c", { namespace: "g2" }),
      tool("d", { namespace: "g2" }),
      tool("e"),
      tool("f")
    ])
  })

  it("reads one object holding tools, and leaves out entries without a name or not objects", () => {
    expect(normalizeDynamicTools({ namespace: "n", tools: [{ name: "a" }, { description: "x" }, "s", null, [1]] }))
      .toEqual([tool("a", { namespace: "n" })])
    expect(normalizeDynamicTools({ name: "single" })).toEqual([tool("single")])
    expect(normalizeDynamicTools({ name: 3 })).toEqual([])
    expect(normalizeDynamicTools("tools")).toEqual([])
    expect(normalizeDynamicTools(undefined)).toEqual([])
    expect(normalizeDynamicTools({ tools: "not a list", name: "x" })).toEqual([tool("x")])
  })
})
