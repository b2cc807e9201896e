import { Either } from "effect"
import { describe, expect, it } from "vitest"
import {
  childOf,
  formatAgentPath,
  nameProblem,
  parseAgentPath,
  relativeAgentPath,
  resolveAgentPath,
  ROOT
} from "../../src/domain/AgentPath.js"

const reasonOf = (result: Either.Either<unknown, { readonly reason: string; readonly message: string }>) =>
  Either.isLeft(result) ? result.left.reason : "accepted"

describe("agent path errors name the problem", () => {
  it("says why a name cannot be a segment", () => {
    expect(nameProblem("")).toBe("empty segment")
    expect(nameProblem("root")).toBe("`root` is reserved")
    expect(nameProblem("A")).toBe(`segment "A" must be lowercase letters, digits or _`)
    expect(nameProblem("a b")).toBe(`segment "a b" must be lowercase letters, digits or _`)
    expect(nameProblem("xa-")).toBe(`segment "xa-" must be lowercase letters, digits or _`)
    expect(nameProblem("-ax")).toBe(`segment "-ax" must be lowercase letters, digits or _`)
    expect(nameProblem("agent_1")).toBeUndefined()
  })

  it("says why an absolute path is refused, quoting it", () => {
    expect(reasonOf(parseAgentPath("/agent"))).toBe("an absolute path starts with /root")
    expect(reasonOf(parseAgentPath("/root/a/"))).toBe("no trailing /")
    expect(reasonOf(parseAgentPath("/root/a//b"))).toBe("empty segment")
    expect(reasonOf(parseAgentPath("/root/a/root"))).toBe("`root` is reserved")
    const error = parseAgentPath("/x")
    expect(Either.isLeft(error) && error.left.message).toBe(
      `invalid agent path "/x": an absolute path starts with /root`
    )
    expect(Either.isLeft(error) && error.left.path).toBe("/x")
    expect(parseAgentPath("/root")).toEqual(Either.right(ROOT))
  })

  it("says why a relative reference is refused, naming the reference", () => {
    const from = { segments: ["a"] }
    expect(reasonOf(resolveAgentPath("", from))).toBe("empty or trailing /")
    expect(reasonOf(resolveAgentPath("b/", from))).toBe("empty or trailing /")
    expect(reasonOf(resolveAgentPath("../..", from))).toBe("goes above /root")
    expect(reasonOf(resolveAgentPath("b//c", from))).toBe("empty segment")
    expect(reasonOf(resolveAgentPath("/root/", from))).toBe("no trailing /")
    const error = resolveAgentPath("../../x", from)
    expect(Either.isLeft(error) && error.left.path).toBe("../../x")
    expect(Either.map(resolveAgentPath("./.././b/./c", from), formatAgentPath)).toEqual(Either.right("/root/b/c"))
  })

  it("names the full path of a child that cannot be made", () => {
    const error = childOf({ segments: ["a"] }, "B")
    expect(Either.isLeft(error) && error.left.path).toBe("/root/a/B")
    expect(reasonOf(error)).toBe(`segment "B" must be lowercase letters, digits or _`)
    expect(childOf({ segments: ["a"] }, "b")).toEqual(Either.right({ segments: ["a", "b"] }))
  })

  it("gives the shortest relative reference", () => {
    expect(relativeAgentPath({ segments: ["a", "b"] }, { segments: ["a", "b"] })).toBe(".")
    expect(relativeAgentPath({ segments: ["a", "b"] }, { segments: ["a", "c"] })).toBe("../c")
    expect(relativeAgentPath({ segments: ["a"] }, { segments: ["a", "b", "c"] })).toBe("b/c")
    expect(relativeAgentPath({ segments: ["a", "b"] }, ROOT)).toBe("../..")
    expect(relativeAgentPath({ segments: ["x"] }, { segments: ["y", "x"] })).toBe("../y/x")
  })
})
