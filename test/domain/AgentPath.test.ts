import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import {
  type AgentPath,
  childOf,
  formatAgentPath,
  parseAgentPath,
  relativeAgentPath,
  resolveAgentPath,
  ROOT
} from "../../src/domain/AgentPath.js"
import { runs } from "../fixtures/arbitraries.js"

const path = (text: string) => Either.getOrThrow(parseAgentPath(text))
const resolve = (reference: string, from: string) =>
  Either.map(resolveAgentPath(reference, path(from)), formatAgentPath)

const segmentArb = fc.stringMatching(/^[a-z0-9_]{1,8}$/).filter((s) => s !== "root")
const pathArb: fc.Arbitrary<AgentPath> = fc.array(segmentArb, { maxLength: 5 }).map((segments) => ({ segments }))

describe("agent paths", () => {
  it("parses /root and nested paths and formats them back", () => {
    expect(formatAgentPath(path("/root"))).toBe("/root")
    expect(path("/root/agent_1/agent_3").segments).toEqual(["agent_1", "agent_3"])
  })

  it("rejects paths that do not start at /root, have empty, reserved or uppercase segments, or a trailing slash", () => {
    for (
      const bad of [
        "root",
        "/agent_1",
        "/root/",
        "/root//a",
        "/root/root",
        "/root/Agent",
        "/root/a-b",
        "/rooted/a",
        "/root/a/../b"
      ]
    ) {
      expect(Either.isLeft(parseAgentPath(bad)), bad).toBe(true)
    }
  })

  it("resolves absolute references as they are and relative ones from the calling agent", () => {
    expect(resolve("/root/agent_9", "/root/agent_1")).toEqual(Either.right("/root/agent_9"))
    expect(resolve("agent_2", "/root/agent_1")).toEqual(Either.right("/root/agent_1/agent_2"))
    expect(resolve("./x", "/root/agent_1")).toEqual(Either.right("/root/agent_1/x"))
    expect(resolve("../agent_4", "/root/agent_1/agent_3")).toEqual(Either.right("/root/agent_1/agent_4"))
    expect(resolve("..", "/root/agent_1")).toEqual(Either.right("/root"))
  })

  it("refuses relative references that climb above /root or hold invalid names", () => {
    expect(Either.isLeft(resolve("..", "/root"))).toBe(true)
    expect(Either.isLeft(resolve("../../x", "/root/a"))).toBe(true)
    expect(Either.isLeft(resolve("Bad", "/root"))).toBe(true)
    expect(Either.isLeft(resolve("a/", "/root"))).toBe(true)
    expect(Either.isLeft(childOf(ROOT, "root"))).toBe(true)
  })

  it("resolving a path's own text, from any agent, gives that path back", () => {
    fc.assert(
      fc.property(pathArb, pathArb, (target, caller) => {
        expect(Either.getOrThrow(resolveAgentPath(formatAgentPath(target), caller))).toEqual(target)
        expect(Either.getOrThrow(parseAgentPath(formatAgentPath(target)))).toEqual(target)
      }),
      { numRuns: runs(500) }
    )
  })

  it("a relative reference from a caller resolves to the same path as the absolute one", () => {
    fc.assert(
      fc.property(pathArb, pathArb, (target, caller) => {
        const relative = relativeAgentPath(caller, target)
        expect(Either.getOrThrow(resolveAgentPath(relative, caller))).toEqual(target)
      }),
      { numRuns: runs(500) }
    )
  })
})
