import { describe, expect, it } from "vitest"
import { echoes, type IndexedText } from "../../src/domain/ThreadMessages.js"

const m = (kind: IndexedText["kind"], text: string): IndexedText => ({ kind, text })

describe("echoes", () => {
  it("an event and a response item saying the same, in either order, are one message", () => {
    expect(echoes(m("response", "fix it"), m("user", "fix it"))).toBe(true)
    expect(echoes(m("user", "fix it"), m("response", "fix it"))).toBe(true)
    expect(echoes(m("agent", "done"), m("response", "done"))).toBe(true)
    expect(echoes(m("response", "done"), m("agent", "done"))).toBe(true)
  })

  it("two of a kind, other words, reasoning and tool outputs, or nothing before, are not", () => {
    expect(echoes(undefined, m("user", "fix it"))).toBe(false)
    expect(echoes(m("response", "fix it"), m("response", "fix it"))).toBe(false)
    expect(echoes(m("user", "fix it"), m("user", "fix it"))).toBe(false)
    expect(echoes(m("user", "fix it"), m("agent", "fix it"))).toBe(false)
    expect(echoes(m("user", "fix it"), m("response", "fix it now"))).toBe(false)
    expect(echoes(m("reasoning", "plan"), m("response", "plan"))).toBe(false)
    expect(echoes(m("response", "ok"), m("tool_output", "ok"))).toBe(false)
  })
})
