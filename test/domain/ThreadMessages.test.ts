/**
 * Which lines the search index reads and what text it takes from each (docs/decisions.md,
 * "Full-text search"): items are decoded from the JSON a host writes, so the real schemas run.
 */
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeRolloutItem, type RolloutItem } from "../../src/domain/RolloutItem.js"
import { USER_REQUEST_MARKER } from "../../src/domain/ThreadFold.js"
import {
  DEFAULT_MESSAGE_KINDS,
  echoes,
  type IndexedText,
  MAX_MESSAGE_CHARS,
  MESSAGE_KINDS,
  type MessageKind,
  messageKindOf,
  messageTextOf
} from "../../src/domain/ThreadMessages.js"

const item = (json: object): RolloutItem => Either.getOrThrow(decodeRolloutItem(json))
const TS = "2025-03-01T10:00:00.000Z"
const event = (payload: object) => item({ timestamp: TS, type: "event_msg", payload })
const response = (payload: object) => item({ timestamp: TS, type: "response_item", payload })

const ALL: ReadonlySet<MessageKind> = new Set(MESSAGE_KINDS)
const textOf = (i: RolloutItem, kinds: ReadonlySet<MessageKind> = ALL) => messageTextOf(i, kinds)

describe("messageKindOf", () => {
  it.each(
    [
      ["event_msg", "user_message", "user"],
      ["event_msg", "agent_message", "agent"],
      ["event_msg", "agent_reasoning", "reasoning"],
      ["response_item", "message", "response"],
      ["response_item", "reasoning", "reasoning"],
      ["response_item", "function_call_output", "tool_output"],
      ["response_item", "custom_tool_call_output", "tool_output"]
    ] as const
  )("%s %s is indexed as %s", (lineType, payloadType, kind) => {
    expect(messageKindOf(lineType, payloadType)).toBe(kind)
  })

  it.each(
    [
      ["event_msg", "message"],
      ["event_msg", "function_call_output"],
      ["event_msg", "token_count"],
      ["event_msg", undefined],
      ["response_item", "user_message"],
      ["response_item", "agent_message"],
      ["response_item", "function_call"],
      ["response_item", undefined],
      ["turn_context", "message"],
      ["session_meta", "user_message"],
      ["compacted", "agent_message"]
    ] as const
  )("%s %s is not indexed", (lineType, payloadType) => {
    expect(messageKindOf(lineType, payloadType)).toBeUndefined()
  })

  it("by default what was said is indexed, not tool outputs or reasoning", () => {
    expect([...DEFAULT_MESSAGE_KINDS].sort()).toEqual(["agent", "response", "user"])
  })
})

describe("messageTextOf", () => {
  it("a user message is the text after the IDE marker, trimmed", () => {
    expect(textOf(event({ type: "user_message", message: `context\n${USER_REQUEST_MARKER}  fix the test \n` })))
      .toEqual({ kind: "user", text: "fix the test" })
    expect(textOf(event({ type: "user_message", message: "  plain  " }))).toEqual({ kind: "user", text: "plain" })
  })

  it("an agent message and an agent reasoning event take their own fields", () => {
    expect(textOf(event({ type: "agent_message", message: "done" }))).toEqual({ kind: "agent", text: "done" })
    expect(textOf(event({ type: "agent_reasoning", text: "thinking" }))).toEqual({
      kind: "reasoning",
      text: "thinking"
    })
    expect(textOf(event({ type: "agent_message", message: 42 }))).toBeUndefined()
    expect(textOf(event({ type: "agent_reasoning", message: "not its field" }))).toBeUndefined()
  })

  it("a response message joins its text parts with newlines and skips the others", () => {
    const message = response({
      type: "message",
      role: "assistant",
      content: [
        { type: "output_text", text: "one" },
        { type: "input_image", image_url: "data:…" },
        { type: "input_text", text: "two" },
        { type: "text", text: "three" },
        { type: "summary_text", text: "four" },
        { type: "refusal", text: "not a text part" },
        { type: "output_text", text: 5 },
        "output_text",
        null
      ]
    })
    expect(textOf(message)).toEqual({ kind: "response", text: "one\ntwo\nthree\nfour" })
  })

  it("user and assistant messages are indexed, developer and system instructions never", () => {
    const of = (role: string) =>
      textOf(response({ type: "message", role, content: [{ type: "input_text", text: "hi" }] }))
    expect(of("user")).toEqual({ kind: "response", text: "hi" })
    expect(of("assistant")).toEqual({ kind: "response", text: "hi" })
    expect(of("developer")).toBeUndefined()
    expect(of("system")).toBeUndefined()
  })

  it("a message whose content is not a list has no text", () => {
    expect(textOf(response({ type: "message", role: "user", content: "a bare string" }))).toBeUndefined()
    expect(textOf(response({ type: "message", role: "user", content: { type: "input_text", text: "x" } })))
      .toBeUndefined()
  })

  it("reasoning is its summary's text parts, never its encrypted content", () => {
    const reasoning = response({
      type: "reasoning",
      summary: [{ type: "summary_text", text: "plan" }],
      encrypted_content: "gAAAA",
      content: [{ type: "reasoning_text", text: "raw" }]
    })
    expect(textOf(reasoning)).toEqual({ kind: "reasoning", text: "plan" })
  })

  it("a tool output is a string, an object's content string or text parts, or a list of parts", () => {
    const call = (output: unknown, type = "function_call_output") => textOf(response({ type, call_id: "c", output }))
    expect(call("exit 0")).toEqual({ kind: "tool_output", text: "exit 0" })
    expect(call({ content: "stdout", success: true })).toEqual({ kind: "tool_output", text: "stdout" })
    expect(call({ content: [{ type: "input_text", text: "part" }] })).toEqual({ kind: "tool_output", text: "part" })
    expect(call([{ type: "output_text", text: "listed" }], "custom_tool_call_output"))
      .toEqual({ kind: "tool_output", text: "listed" })
    expect(call({ success: true })).toBeUndefined()
    expect(call(7)).toBeUndefined()
  })

  it("only the configured kinds are read", () => {
    const agent = event({ type: "agent_message", message: "done" })
    expect(textOf(agent, new Set(["user", "response"]))).toBeUndefined()
    expect(textOf(agent, new Set(["agent"]))).toEqual({ kind: "agent", text: "done" })
    expect(
      textOf(response({ type: "function_call_output", call_id: "c", output: "x" }), new Set(DEFAULT_MESSAGE_KINDS))
    )
      .toBeUndefined()
  })

  it("lines that are not events or response items, and messages of blank text, give nothing", () => {
    expect(textOf(item({ timestamp: TS, type: "turn_context", payload: { cwd: "/w", model: "m" } }))).toBeUndefined()
    expect(textOf(event({ type: "user_message", message: " \n\t " }))).toBeUndefined()
    expect(textOf(event({ type: "user_message", message: `${USER_REQUEST_MARKER}` }))).toBeUndefined()
    expect(textOf(event({ type: "token_count", info: null }))).toBeUndefined()
  })

  it("a text is indexed up to MAX_MESSAGE_CHARS characters, after trimming", () => {
    const exact = "a".repeat(MAX_MESSAGE_CHARS)
    expect(textOf(event({ type: "agent_message", message: ` ${exact} ` }))?.text).toBe(exact)
    expect(textOf(event({ type: "agent_message", message: `${exact}bc` }))?.text).toBe(exact)
    expect(textOf(event({ type: "agent_message", message: "b".repeat(MAX_MESSAGE_CHARS - 1) }))?.text)
      .toHaveLength(MAX_MESSAGE_CHARS - 1)
  })
})

describe("echoes", () => {
  const m = (kind: IndexedText["kind"], text: string): IndexedText => ({ kind, text })

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
