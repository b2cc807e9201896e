import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeRolloutItem, encodeRolloutLine, type RolloutItem, rolloutLineOf } from "../../src/domain/RolloutItem.js"

const ID = "019ea439-5f04-7f57-962d-815ed782d47f"

const decoded = (line: unknown): RolloutItem => Either.getOrThrow(decodeRolloutItem(line))
const reason = (line: unknown): string => {
  const result = decodeRolloutItem(line)
  return Either.isLeft(result) ? result.left.reason : "decoded"
}

describe("decodeRolloutItem", () => {
  it("keeps a wrapped item's header, dropping a timestamp or ordinal of the wrong type", () => {
    const line = { timestamp: "2024-01-01T00:00:00.000Z", ordinal: 3, type: "event_msg", payload: { type: "x" } }
    expect(decoded(line)).toEqual(line)
    expect(decoded({ timestamp: 5, ordinal: "3", type: "event_msg", payload: { type: "x" } })).toEqual({
      type: "event_msg",
      payload: { type: "x" }
    })
    const ctx = { type: "turn_context", payload: { model: "m", cwd: "/w" } }
    expect(decoded(ctx)).toEqual(ctx)
    expect(decoded({ type: "response_item", payload: { type: "message" } })).toEqual({
      type: "response_item",
      payload: { type: "message" }
    })
    expect(decoded({ type: "compacted", payload: { message: "m" } })).toEqual({
      type: "compacted",
      payload: { message: "m" }
    })
    expect(decoded({ type: "session_meta", payload: { id: ID } })).toMatchObject({
      type: "session_meta",
      payload: { id: ID }
    })
  })

  it("keeps an unknown wrapped type with its raw name, and an event named like a prototype member", () => {
    expect(decoded({ type: "future_thing", payload: [1] })).toEqual({
      type: "unknown",
      rawType: "future_thing",
      payload: [1]
    })
    expect(decoded({ type: "event_msg", payload: { type: "constructor" } })).toEqual({
      type: "event_msg",
      payload: { type: "constructor" }
    })
  })

  it("reads the legacy shapes: state records, bare response items and headers", () => {
    expect(decoded({ record_type: "state", x: 1 })).toEqual({
      type: "legacy_state",
      payload: { record_type: "state", x: 1 }
    })
    expect(decoded({ type: "message", role: "user" })).toEqual({
      type: "response_item",
      payload: { type: "message", role: "user" },
      legacy: true
    })
    expect(decoded({ id: ID, timestamp: "2024-01-01T00:00:00Z" })).toMatchObject({
      type: "legacy_header",
      payload: { id: ID }
    })
  })

  it("says why a line is not an item, naming the path of the first problem", () => {
    expect(reason([])).toBe("line is not a JSON object")
    expect(reason(null)).toBe("line is not a JSON object")
    expect(reason({ type: "event_msg", payload: "x" })).toBe(
      "payload.type: event_msg payload must be an object with a string type"
    )
    expect(reason({ type: "event_msg", payload: { type: 1 } })).toBe(
      "payload.type: event_msg payload must be an object with a string type"
    )
    expect(reason({ type: "event_msg", payload: { type: "user_message", message: 3 } })).toMatch(
      /^payload\.message: /
    )
    expect(reason({ type: "turn_context", payload: { cwd: 3 } })).toMatch(/^payload\.cwd: /)
    expect(reason({ type: "session_meta", payload: {} })).toMatch(/^payload\.id: /)
    expect(reason({ type: "compacted", payload: "x" })).toMatch(/^payload: /)
    expect(reason({ id: ID, git: 3 })).toMatch(/^header\.git: /)
    expect(reason({ type: 3, payload: {} })).toBe("type: missing or not a string")
    expect(reason({ payload: {} })).toBe("type: missing or not a string")
    expect(reason({ other: 1 })).toBe("not a rollout line: no type/payload envelope and no legacy shape")
    expect(reason({ id: 3 })).toBe("not a rollout line: no type/payload envelope and no legacy shape")
  })
})

describe("encoding", () => {
  it("writes each item back as the line it was read from", () => {
    const lines: Array<unknown> = [
      { timestamp: "2024-01-01T00:00:00.000Z", ordinal: 1, type: "event_msg", payload: { type: "x" } },
      { type: "turn_context", payload: { model: "m" } },
      { type: "future_thing", payload: { a: 1 } },
      { timestamp: "t", type: "future_thing", payload: null },
      { type: "message", role: "user" },
      { type: "response_item", payload: { type: "message" } },
      { record_type: "state" },
      { id: ID }
    ]
    for (const line of lines) {
      const item = decoded(line) as Exclude<RolloutItem, { type: "skipped" }>
      expect(rolloutLineOf(item)).toEqual(line)
      expect(encodeRolloutLine(item)).toBe(`${JSON.stringify(line)}\n`)
    }
    // The envelope's members come in the writer's order.
    expect(Object.keys(rolloutLineOf(decoded(lines[0]) as never) as object)).toEqual([
      "timestamp",
      "ordinal",
      "type",
      "payload"
    ])
  })
})
