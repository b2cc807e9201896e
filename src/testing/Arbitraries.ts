/**
 * Arbitraries for rollout items, built from the domain schemas, plus the knobs every
 * property test shares.
 * @since 0.1.0
 */
import { Arbitrary, FastCheck as fc } from "effect"
import type { RolloutItem, SkippedItem } from "../domain/RolloutItem.js"
import * as Item from "../domain/RolloutItem.js"

/** Cases per property; `FC_RUNS` raises it. */
export const runs = (base: number): number => Math.max(base, Number(process.env["FC_RUNS"] ?? 0))

/** A property's time limit: `ms` for its `base` cases, scaled up when `FC_RUNS` asks for more. */
export const timeoutFor = (base: number, ms: number): number => Math.ceil(ms * (runs(base) / base))

export type WholeItem = Exclude<RolloutItem, SkippedItem>

/** A few thread ids, so metas often match the thread (and sometimes are a fork's). */
export const THREAD_IDS = [
  "019a9f10-1111-7222-8333-444455556666",
  "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff",
  "5973b6c0-94b8-487b-a530-2aeb6098ae0e"
] as const

export const timestampArb = fc
  .integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 11, 31) })
  .map((ms) => new Date(ms).toISOString())

/** Text from a few words (some accented), so searches over generated threads find things. */
export const wordsArb = fc.oneof(
  fc.array(fc.constantFrom("flaky", "login", "test", "fixed", "café", "Über", "build", "the", "?", "naïve"), {
    maxLength: 8
  }).map((words) => words.join(" ")),
  fc.string()
)

const header = fc.record({ timestamp: timestampArb }, { requiredKeys: [] })

const wrapped = <T extends string, P>(type: T, payload: fc.Arbitrary<P>) =>
  fc.tuple(header, payload).map(([h, p]) => ({ ...h, type, payload: p }))

const sessionMeta = fc
  .tuple(Arbitrary.make(Item.SessionMeta), fc.constantFrom(...THREAD_IDS))
  .map(([meta, id]) => ({ ...meta, id }))

const turnIds = fc.constantFrom("t1", "t2", "t3", "t4")

const events: fc.Arbitrary<Item.EventMsg> = fc.oneof(
  { weight: 4, arbitrary: Arbitrary.make(Item.UserMessage) },
  { weight: 2, arbitrary: Arbitrary.make(Item.TokenCount) },
  // Counts with a total, as the writer logs them: the schema's optional nesting rarely makes one.
  {
    weight: 4,
    arbitrary: fc.integer({ min: 0, max: 2_000_000 }).map((total): Item.TokenCount => ({
      type: "token_count",
      info: { total_token_usage: { total_tokens: total } }
    }))
  },
  { weight: 1, arbitrary: Arbitrary.make(Item.ThreadNameUpdated) },
  { weight: 3, arbitrary: fc.record({ type: fc.constantFrom("task_started", "turn_started"), turn_id: turnIds }) },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constantFrom("task_complete", "turn_complete", "turn_aborted"), turn_id: turnIds })
  },
  // What the search index reads: agent messages and reasoning with their text.
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constantFrom("agent_message", "agent_reasoning"),
      message: wordsArb,
      text: wordsArb
    }, { requiredKeys: ["type"] })
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom("agent_message", "exec_command_end", "brand_new_event"),
      fc.jsonValue({ maxDepth: 1 })
    )
      .map(([type, detail]) => ({ type, detail }))
  }
)

/** Indexed response items (messages by role, reasoning summaries, tool outputs) with text parts. */
const textPartArb = fc.record({
  type: fc.constantFrom("input_text", "output_text", "summary_text", "input_image"),
  text: wordsArb
})
const indexedResponse = fc.oneof(
  fc.record({
    type: fc.constant("message"),
    role: fc.constantFrom("user", "assistant", "developer"),
    content: fc.array(textPartArb, { maxLength: 3 })
  }),
  fc.record({ type: fc.constant("reasoning"), summary: fc.array(textPartArb, { maxLength: 2 }) }),
  fc.record({
    type: fc.constantFrom("function_call_output", "custom_tool_call_output"),
    output: fc.oneof(wordsArb, fc.record({ content: wordsArb }))
  })
)

/**
 * A message as a current host writes it twice (an event and a response item) from a few texts,
 * so a message and its echo often meet, in either order and across appends.
 */
const echoedText = fc.constantFrom("fix the flaky login test", "done")
const echoable = fc.oneof(
  wrapped("event_msg", fc.record({ type: fc.constantFrom("user_message", "agent_message"), message: echoedText })),
  wrapped(
    "response_item",
    fc.record({
      type: fc.constant("message"),
      role: fc.constantFrom("user", "assistant"),
      content: echoedText.map((text) => [{ type: "output_text", text }])
    })
  )
)

const responsePayload = fc
  .tuple(
    fc.constantFrom("message", "reasoning", "function_call", "function_call_output", "custom_tool_call"),
    fc.dictionary(fc.string().filter((k) => k !== "type"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
  )
  .map(([type, rest]) => ({ ...rest, type }))

const legacyKeys = (key: string) => !["type", "payload", "record_type", "id", "timestamp"].includes(key)

/** Every kind of item a rollout holds, weighted towards the ones the fold reads. */
export const itemArb: fc.Arbitrary<WholeItem> = fc.oneof(
  { weight: 2, arbitrary: wrapped("session_meta", sessionMeta) },
  { weight: 2, arbitrary: wrapped("turn_context", Arbitrary.make(Item.TurnContext)) },
  // Contexts from a few values, so consecutive turns often repeat all or part of one.
  {
    weight: 2,
    arbitrary: wrapped(
      "turn_context",
      fc.record({
        cwd: fc.constantFrom("/w/a", "/w/b"),
        model: fc.constantFrom("gpt-5", "gpt-5-codex"),
        effort: fc.constantFrom("high" as const, null)
      }, { requiredKeys: [] })
    )
  },
  { weight: 8, arbitrary: wrapped("event_msg", events) },
  { weight: 4, arbitrary: wrapped("response_item", responsePayload) },
  { weight: 3, arbitrary: wrapped("response_item", indexedResponse) },
  { weight: 2, arbitrary: echoable },
  { weight: 1, arbitrary: wrapped("compacted", Arbitrary.make(Item.Compacted)) },
  {
    weight: 1,
    arbitrary: fc.tuple(header, fc.constantFrom("world_state", "token_usage_record"), fc.jsonValue({ maxDepth: 2 }))
      .map(([h, rawType, payload]) => ({ ...h, type: "unknown" as const, rawType, payload }))
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.string().filter(legacyKeys), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 })
      .map((rest) => ({ type: "legacy_state" as const, payload: { ...rest, record_type: "state" } }))
  },
  {
    weight: 1,
    arbitrary: fc.tuple(Arbitrary.make(Item.LegacyHeader), fc.constantFrom(...THREAD_IDS))
      .map(([payload, id]) => ({ type: "legacy_header" as const, payload: { ...payload, id } }))
  }
)

export const itemsArb = (maxLength = 40) => fc.array(itemArb, { maxLength })

/** JSON as the file holds it: what reading a written value gives back. */
export const viaJson = <A>(value: A): A => JSON.parse(JSON.stringify(value)) as A
