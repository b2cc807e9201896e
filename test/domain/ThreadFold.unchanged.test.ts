/**
 * Items that change nothing leave the state the same object (SPEC §3's fold is pure): the
 * projections write only what changed by comparing a delta's before and after (a thread's tool
 * list by identity), and a live append of repeated turn contexts allocates nothing.
 */
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeRolloutItem, type RolloutItem } from "../../src/domain/RolloutItem.js"
import { apply, applyAll, initial } from "../../src/domain/ThreadFold.js"
import type { ThreadState } from "../../src/domain/ThreadState.js"

const ID = "019a0000-0000-7000-8000-000000000001"
const OTHER_ID = "019a0000-0000-7000-8000-000000000002"
const iso = (second: number) => `2025-03-01T10:00:${String(second).padStart(2, "0")}.000Z`

const item = (json: object): RolloutItem => Either.getOrThrow(decodeRolloutItem(json))
const line = (type: string, payload: object, second = 1) => item({ timestamp: iso(second), type, payload })
const event = (payload: object, second = 1) => line("event_msg", payload, second)

const CONTEXT = {
  cwd: "/w",
  model: "m",
  effort: "low",
  approval_policy: "never",
  sandbox_policy: { type: "read-only" }
}

/** A thread at second 5 with a meta, a context, and an open turn of its own (`task` or message). */
const stateWith = (opened: "task" | "message"): ThreadState =>
  applyAll(initial(ID, { fileNameTimestamp: 0, defaultModelProvider: "p" }), [
    line("session_meta", { id: ID, cwd: "/w", dynamic_tools: [] }, 0),
    line("turn_context", CONTEXT, 1),
    opened === "task"
      ? event({ type: "task_started", turn_id: "t1" }, 2)
      : event({ type: "user_message", message: "hello" }, 2),
    event({ type: "user_message", message: "inside" }, 3),
    line("turn_context", CONTEXT, 5)
  ])

describe("items that change nothing", () => {
  it.each([
    ["a repeated turn context", line("turn_context", CONTEXT)],
    ["a turn context naming another cwd once the cwd is set", line("turn_context", { ...CONTEXT, cwd: "/w/." })],
    ["a started turn with the open turn's id", event({ type: "task_started", turn_id: "t1" })],
    ["a user message inside the task's turn that already has one", event({ type: "user_message", message: "x" })],
    ["the end of another turn", event({ type: "task_complete", turn_id: "t0" })],
    ["a token count without totals", event({ type: "token_count", info: null })],
    ["a rename of another thread", event({ type: "thread_name_updated", thread_id: OTHER_ID, thread_name: "n" })],
    ["a blank rename", event({ type: "thread_name_updated", thread_name: "  " })],
    [
      "settings of another thread",
      event({ type: "thread_settings_applied", thread_id: OTHER_ID, thread_settings: {} })
    ],
    ["null settings", event({ type: "thread_settings_applied", thread_settings: null })],
    [
      "settings repeating the current ones",
      event({ type: "thread_settings_applied", thread_settings: { model: "m", reasoning_effort: "low" } })
    ],
    ["a session meta of another thread", line("session_meta", { id: OTHER_ID, cwd: "/elsewhere" })],
    ["an event the fold does not read", event({ type: "agent_message", message: "hi" })]
  ])("%s, at an older time, returns the state itself", (_, older) => {
    const state = stateWith("task")
    expect(apply(state, older)).toBe(state)
    expect(applyAll(state, [older])).toBe(state)
  })

  it("a user message in a titled thread, outside a task, keeps the metadata object and starts a turn", () => {
    const state = stateWith("message")
    const next = apply(state, event({ type: "user_message", message: "again" }))
    expect(next.metadata).toBe(state.metadata)
    expect([state.lastTurn?.index, next.lastTurn?.index]).toEqual([1, 2])
  })

  it("a blank user message on an untitled thread starts a turn but keeps the metadata object", () => {
    const fresh = initial(ID, { fileNameTimestamp: 0, defaultModelProvider: "p" })
    const next = apply(fresh, item({ type: "event_msg", payload: { type: "user_message", message: "  " } }))
    expect(next.metadata).toBe(fresh.metadata)
    expect(next.lastTurn?.userMessage).toBeNull()
  })

  it("an item at a newer time changes only the times, and a repeated context keeps the open turn", () => {
    const state = stateWith("task")
    const next = apply(state, line("turn_context", CONTEXT, 9))
    expect(next.lastTurn).toBe(state.lastTurn)
    expect(next.dynamicTools).toBe(state.dynamicTools)
    expect(next.metadata).toEqual({ ...state.metadata, updatedAt: Date.parse(iso(9)) })
  })

  it("an item whose timestamp member is present but undefined moves no time", () => {
    const state = stateWith("task")
    const untimed = { ...event({ type: "agent_message", message: "hi" }), timestamp: undefined }
    expect(apply(state, untimed)).toBe(state)
    expect(applyAll(state, [untimed])).toBe(state)
  })

  it("an item at the latest time seen returns the state itself", () => {
    const state = stateWith("task")
    const same = event({ type: "agent_message", message: "hi" }, 5)
    expect(apply(state, same)).toBe(state)
    expect(applyAll(state, [same])).toBe(state)
  })

  it("the end of a turn when none is open returns the state itself", () => {
    const state = apply(stateWith("task"), event({ type: "task_complete", turn_id: "t1" }, 6))
    expect(state.progress.turnOpen).toBe(false)
    expect(apply(state, event({ type: "task_complete" }))).toBe(state)
    const fresh = initial(ID, { fileNameTimestamp: 0, defaultModelProvider: "p" })
    expect(apply(fresh, item({ type: "event_msg", payload: { type: "turn_aborted" } }))).toBe(fresh)
  })
})
