/**
 * The items of a rollout file. Wrapped lines are `{"timestamp", "type", "payload"}`; the
 * legacy format has a bare header, bare response items and `{"record_type":"state"}` lines.
 * Fields the fold reads are typed; every other field is kept on the decoded object.
 * @since 0.1.0
 */
import { Either, ParseResult, Schema } from "effect"
import { DynamicToolSpec } from "./DynamicTool.js"
import { GitInfo } from "./GitInfo.js"
import { isPlainObject, JsonRecord, UnknownJson } from "./Json.js"
import { ApprovalPolicy, ReasoningEffort, SandboxPolicy } from "./Policies.js"
import { SessionSource } from "./SessionSource.js"

const OptionalString = Schema.optional(Schema.NullOr(Schema.String))

/**
 * `base_instructions`: a string, `{"text": …}` (sometimes with `provenance`), or `{}`.
 * @since 0.1.0
 * @category schemas
 */
export const BaseInstructions = Schema.Union(
  Schema.String,
  Schema.Struct({ text: Schema.optional(Schema.NullOr(Schema.String)) })
)

/**
 * A list of tools, namespace groups, or one object holding `tools`.
 * @since 0.1.0
 * @category schemas
 */
export const DynamicToolsField = Schema.Union(
  Schema.Array(Schema.Union(DynamicToolSpec, JsonRecord)),
  JsonRecord
)

/**
 * The payload of `session_meta`.
 * @since 0.1.0
 * @category schemas
 */
export const SessionMeta = Schema.Struct({
  id: Schema.String,
  timestamp: OptionalString,
  cwd: OptionalString,
  originator: OptionalString,
  cli_version: OptionalString,
  source: Schema.optional(Schema.NullOr(SessionSource)),
  forked_from_id: OptionalString,
  parent_thread_id: OptionalString,
  thread_source: OptionalString,
  agent_nickname: OptionalString,
  agent_role: OptionalString,
  agent_path: OptionalString,
  model_provider: OptionalString,
  base_instructions: Schema.optional(Schema.NullOr(BaseInstructions)),
  instructions: OptionalString,
  dynamic_tools: Schema.optional(Schema.NullOr(DynamicToolsField)),
  memory_mode: OptionalString,
  history_mode: OptionalString,
  history_base: Schema.optional(Schema.NullOr(Schema.Struct({ thread_id: Schema.String }))),
  git: Schema.optional(Schema.NullOr(GitInfo))
})

/** @since 0.1.0 */
export type SessionMeta = typeof SessionMeta.Type

/**
 * The payload of `turn_context`: written once per model request, with or without `turn_id`.
 * @since 0.1.0
 * @category schemas
 */
export const TurnContext = Schema.Struct({
  turn_id: OptionalString,
  cwd: OptionalString,
  approval_policy: Schema.optional(Schema.NullOr(ApprovalPolicy)),
  sandbox_policy: Schema.optional(Schema.NullOr(SandboxPolicy)),
  permission_profile: Schema.optional(Schema.NullOr(Schema.Union(Schema.String, JsonRecord))),
  model: OptionalString,
  effort: Schema.optional(Schema.NullOr(ReasoningEffort)),
  summary: Schema.optional(UnknownJson)
})

/** @since 0.1.0 */
export type TurnContext = typeof TurnContext.Type

/** @since 0.1.0 @category schemas */
export const UserMessage = Schema.Struct({
  type: Schema.Literal("user_message"),
  message: OptionalString,
  images: Schema.optional(Schema.NullOr(Schema.Array(UnknownJson))),
  local_images: Schema.optional(Schema.NullOr(Schema.Array(UnknownJson)))
})

/** @since 0.1.0 @category schemas */
export const TokenUsage = Schema.Struct({
  input_tokens: Schema.optional(Schema.Finite),
  cached_input_tokens: Schema.optional(Schema.Finite),
  output_tokens: Schema.optional(Schema.Finite),
  reasoning_output_tokens: Schema.optional(Schema.Finite),
  total_tokens: Schema.Finite
})

/** @since 0.1.0 @category schemas */
export const TokenCount = Schema.Struct({
  type: Schema.Literal("token_count"),
  info: Schema.optional(Schema.NullOr(Schema.Struct({
    total_token_usage: Schema.optional(Schema.NullOr(TokenUsage)),
    last_token_usage: Schema.optional(Schema.NullOr(TokenUsage)),
    model_context_window: Schema.optional(Schema.NullOr(Schema.Finite))
  })))
})

/** @since 0.1.0 @category schemas */
export const ThreadNameUpdated = Schema.Struct({
  type: Schema.Literal("thread_name_updated"),
  thread_id: OptionalString,
  thread_name: OptionalString
})

/**
 * What `thread_settings_applied` carries (hosts from mid-2026 write it when a thread's
 * settings change between turns); the fold reads model, effort and approval policy.
 * @since 0.1.0
 * @category schemas
 */
export const ThreadSettings = Schema.Struct({
  model: OptionalString,
  reasoning_effort: Schema.optional(Schema.NullOr(ReasoningEffort)),
  approval_policy: Schema.optional(Schema.NullOr(ApprovalPolicy))
})

/** @since 0.1.0 @category schemas */
export const ThreadSettingsApplied = Schema.Struct({
  type: Schema.Literal("thread_settings_applied"),
  thread_id: OptionalString,
  thread_settings: Schema.optional(Schema.NullOr(ThreadSettings))
})

/**
 * Whether a thread is open or closed as an agent (SPEC §11): closing a thread closes the spawn
 * edge to it. This engine's own event (the reference keeps the status in its database only),
 * written to the thread's rollout so that a rebuild reproduces it (docs/decisions.md).
 * @since 0.1.0
 * @category schemas
 */
export const SpawnStatus = Schema.Literal("open", "closed")

/** @since 0.1.0 */
export type SpawnStatus = typeof SpawnStatus.Type

/** @since 0.1.0 @category schemas */
export const ThreadSpawnStatusUpdated = Schema.Struct({
  type: Schema.Literal("thread_spawn_status_updated"),
  thread_id: OptionalString,
  status: SpawnStatus
})

/** @since 0.1.0 @category schemas */
export const TurnStarted = Schema.Struct({
  type: Schema.Literal("task_started", "turn_started"),
  turn_id: OptionalString
})

/** @since 0.1.0 @category schemas */
export const TurnEnded = Schema.Struct({
  type: Schema.Literal("task_complete", "turn_complete", "turn_aborted"),
  turn_id: OptionalString
})

/**
 * An event the fold does not read; kept whole.
 * @since 0.1.0
 * @category schemas
 */
export const OtherEvent = Schema.Struct({ type: Schema.String })

/** @since 0.1.0 */
export type UserMessage = typeof UserMessage.Type
/** @since 0.1.0 */
export type TokenCount = typeof TokenCount.Type
/** @since 0.1.0 */
export type ThreadNameUpdated = typeof ThreadNameUpdated.Type
/** @since 0.1.0 */
export type ThreadSettings = typeof ThreadSettings.Type
/** @since 0.1.0 */
export type ThreadSettingsApplied = typeof ThreadSettingsApplied.Type
/** @since 0.1.0 */
export type ThreadSpawnStatusUpdated = typeof ThreadSpawnStatusUpdated.Type
/** @since 0.1.0 */
export type TurnStarted = typeof TurnStarted.Type
/** @since 0.1.0 */
export type TurnEnded = typeof TurnEnded.Type
/** @since 0.1.0 */
export type OtherEvent = typeof OtherEvent.Type & { readonly [key: string]: unknown }

/** @since 0.1.0 */
export type EventMsg =
  | UserMessage
  | TokenCount
  | ThreadNameUpdated
  | ThreadSettingsApplied
  | ThreadSpawnStatusUpdated
  | TurnStarted
  | TurnEnded
  | OtherEvent

/**
 * The documented shape of a `compacted` payload. The fold reads none of it, so items keep
 * the payload as an untyped object (`CompactedPayload`) and never reject one for its members.
 * @since 0.1.0
 * @category schemas
 */
export const Compacted = Schema.Struct({
  message: Schema.optional(Schema.NullOr(Schema.String)),
  replacement_history: Schema.optional(Schema.NullOr(Schema.Array(UnknownJson)))
})

/** @since 0.1.0 */
export type Compacted = typeof Compacted.Type

/** @since 0.1.0 @category schemas */
export const CompactedPayload = JsonRecord

/**
 * A response item (message, reasoning, tool call, …): kept as JSON, never read by the fold.
 * @since 0.1.0
 * @category schemas
 */
export const ResponseItemPayload = Schema.Struct({ type: Schema.String })

/**
 * The bare first line of a legacy file.
 * @since 0.1.0
 * @category schemas
 */
export const LegacyHeader = Schema.Struct({
  id: Schema.String,
  timestamp: OptionalString,
  instructions: OptionalString,
  git: Schema.optional(Schema.NullOr(GitInfo))
})

/** @since 0.1.0 */
export type LegacyHeader = typeof LegacyHeader.Type

/** Fields every wrapped item shares. @since 0.1.0 */
export interface Wrapped {
  readonly timestamp?: string
  readonly ordinal?: number
}

/** @since 0.1.0 @category models */
export interface SessionMetaItem extends Wrapped {
  readonly type: "session_meta"
  readonly payload: SessionMeta
}
/** @since 0.1.0 @category models */
export interface TurnContextItem extends Wrapped {
  readonly type: "turn_context"
  readonly payload: TurnContext
}
/** @since 0.1.0 @category models */
export interface EventMsgItem extends Wrapped {
  readonly type: "event_msg"
  readonly payload: EventMsg
}
/** @since 0.1.0 @category models */
export interface ResponseItemItem extends Wrapped {
  readonly type: "response_item"
  readonly payload: { readonly type: string; readonly [key: string]: unknown }
  /** Written as a bare line by the legacy format. */
  readonly legacy?: true
}
/** @since 0.1.0 @category models */
export interface CompactedItem extends Wrapped {
  readonly type: "compacted"
  readonly payload: { readonly [key: string]: unknown }
}
/** @since 0.1.0 @category models */
export interface LegacyHeaderItem {
  readonly type: "legacy_header"
  readonly payload: LegacyHeader
}
/** @since 0.1.0 @category models */
export interface LegacyStateItem {
  readonly type: "legacy_state"
  readonly payload: { readonly record_type: string; readonly [key: string]: unknown }
}
/**
 * A wrapped line whose `type` this engine does not know (`world_state`, …): tolerated.
 * @since 0.1.0
 * @category models
 */
export interface UnknownItem extends Wrapped {
  readonly type: "unknown"
  readonly rawType: string
  readonly payload: unknown
}
/**
 * A line whose payload the reader did not decode because the fold ignores it
 * (selective decoding); only its envelope is known.
 * @since 0.1.0
 * @category models
 */
export interface SkippedItem extends Wrapped {
  readonly type: "skipped"
  readonly lineType: string
  readonly eventType?: string
  readonly byteLength: number
}

/** @since 0.1.0 @category models */
export type RolloutItem =
  | SessionMetaItem
  | TurnContextItem
  | EventMsgItem
  | ResponseItemItem
  | CompactedItem
  | LegacyHeaderItem
  | LegacyStateItem
  | UnknownItem
  | SkippedItem

/**
 * Event types the fold reads; any other `event_msg` is ignored by it.
 * @since 0.1.0
 */
export const FOLD_EVENT_TYPES: ReadonlySet<string> = new Set([
  "user_message",
  "token_count",
  "thread_name_updated",
  "thread_settings_applied",
  "thread_spawn_status_updated",
  "task_started",
  "turn_started",
  "task_complete",
  "turn_complete",
  "turn_aborted"
])

/**
 * Event types written by known releases that the fold ignores; others count as unknown.
 * @since 0.1.0
 */
export const KNOWN_IGNORED_EVENT_TYPES: ReadonlySet<string> = new Set([
  "agent_message",
  "agent_reasoning",
  "agent_reasoning_raw_content",
  "agent_reasoning_section_break",
  "context_compacted",
  "entered_review_mode",
  "exited_review_mode",
  "patch_apply_end",
  "mcp_tool_call_end",
  "exec_command_end",
  "web_search_end",
  "image_generation_end",
  "item_completed",
  "thread_rolled_back",
  "thread_goal_updated",
  "view_image_tool_call",
  "error"
])

/** Top-level wrapped types with a decoder. @since 0.1.0 */
export const WRAPPED_TYPES: ReadonlySet<string> = new Set([
  "session_meta",
  "turn_context",
  "event_msg",
  "response_item",
  "compacted"
])

const options = { onExcessProperty: "preserve", errors: "first" } as const

// --- hand-written guards for the payloads of hot lines --------------------------------------
// `Schema.is` walks a schema's AST for every value; these say the same for the shapes read on
// most lines (token counts, turn contexts, turn events), and a property test holds each one
// equal to `Schema.is` of its schema.

const isOptionalString = (value: unknown): boolean => value === undefined || value === null || typeof value === "string"
const isStringOrRecord = (value: unknown): boolean => typeof value === "string" || isPlainObject(value)
const isOptionalStringOrRecord = (value: unknown): boolean =>
  value === undefined || value === null || isStringOrRecord(value)
const isFiniteNumber = (value: unknown): boolean => typeof value === "number" && Number.isFinite(value)
const isOptionalArray = (value: unknown): boolean => value === undefined || value === null || Array.isArray(value)

const isTokenUsage = (value: unknown): boolean => {
  if (!isPlainObject(value) || !isFiniteNumber(value["total_tokens"])) return false
  const { cached_input_tokens, input_tokens, output_tokens, reasoning_output_tokens } = value
  return (input_tokens === undefined || isFiniteNumber(input_tokens)) &&
    (cached_input_tokens === undefined || isFiniteNumber(cached_input_tokens)) &&
    (output_tokens === undefined || isFiniteNumber(output_tokens)) &&
    (reasoning_output_tokens === undefined || isFiniteNumber(reasoning_output_tokens))
}
const isOptionalTokenUsage = (value: unknown): boolean => value === undefined || value === null || isTokenUsage(value)

const TURN_STARTED_TYPES: ReadonlySet<unknown> = new Set(["task_started", "turn_started"])
const TURN_ENDED_TYPES: ReadonlySet<unknown> = new Set(["task_complete", "turn_complete", "turn_aborted"])

/**
 * Hand-written equivalents of `Schema.is` for the payload schemas of hot lines.
 * @since 0.1.0
 * @category guards
 */
export const payloadGuards = {
  turnContext: (value: unknown): value is TurnContext =>
    isPlainObject(value) && isOptionalString(value["turn_id"]) && isOptionalString(value["cwd"]) &&
    isOptionalStringOrRecord(value["approval_policy"]) && isOptionalStringOrRecord(value["sandbox_policy"]) &&
    isOptionalStringOrRecord(value["permission_profile"]) && isOptionalString(value["model"]) &&
    isOptionalString(value["effort"]),
  userMessage: (value: unknown): value is UserMessage =>
    isPlainObject(value) && value["type"] === "user_message" && isOptionalString(value["message"]) &&
    isOptionalArray(value["images"]) && isOptionalArray(value["local_images"]),
  tokenCount: (value: unknown): value is TokenCount => {
    if (!isPlainObject(value) || value["type"] !== "token_count") return false
    const info = value["info"]
    if (info === undefined || info === null) return true
    if (!isPlainObject(info)) return false
    const window = info["model_context_window"]
    return isOptionalTokenUsage(info["total_token_usage"]) && isOptionalTokenUsage(info["last_token_usage"]) &&
      (window === undefined || window === null || isFiniteNumber(window))
  },
  threadNameUpdated: (value: unknown): value is ThreadNameUpdated =>
    isPlainObject(value) && value["type"] === "thread_name_updated" && isOptionalString(value["thread_id"]) &&
    isOptionalString(value["thread_name"]),
  turnStarted: (value: unknown): value is TurnStarted =>
    isPlainObject(value) && TURN_STARTED_TYPES.has(value["type"]) && isOptionalString(value["turn_id"]),
  turnEnded: (value: unknown): value is TurnEnded =>
    isPlainObject(value) && TURN_ENDED_TYPES.has(value["type"]) && isOptionalString(value["turn_id"]),
  otherEvent: (value: unknown): value is OtherEvent => isPlainObject(value) && typeof value["type"] === "string",
  responseItem: (value: unknown): value is ResponseItemItem["payload"] =>
    isPlainObject(value) && typeof value["type"] === "string",
  compacted: (value: unknown): value is CompactedItem["payload"] => isPlainObject(value)
} as const

/**
 * A validator for a schema without transformations: the parsed JSON is kept as it is
 * (no copy) when it conforms; only a failure pays for building the error.
 */
const validator = <A, I>(schema: Schema.Schema<A, I>, is: (value: unknown) => boolean = Schema.is(schema)) => {
  const decode = Schema.decodeUnknownEither(schema, options)
  return (value: unknown): Either.Either<A, ParseResult.ParseError> =>
    is(value) ? Either.right(value as A) : decode(value)
}

const decoders: Record<
  "session_meta" | "turn_context" | "response_item" | "compacted" | "legacy_header",
  (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
> = {
  session_meta: validator(SessionMeta),
  turn_context: validator(TurnContext, payloadGuards.turnContext),
  response_item: validator(ResponseItemPayload, payloadGuards.responseItem),
  compacted: validator(CompactedPayload, payloadGuards.compacted),
  legacy_header: validator(LegacyHeader)
}

const turnStarted = validator(TurnStarted, payloadGuards.turnStarted)
const turnEnded = validator(TurnEnded, payloadGuards.turnEnded)
// A Map, so an event named like an `Object.prototype` member (`constructor`) is just unknown.
type EventDecoder = (u: unknown) => Either.Either<EventMsg, ParseResult.ParseError>
const eventDecoders: ReadonlyMap<string, EventDecoder> = new Map<string, EventDecoder>([
  ["user_message", validator(UserMessage, payloadGuards.userMessage)],
  ["token_count", validator(TokenCount, payloadGuards.tokenCount)],
  ["thread_name_updated", validator(ThreadNameUpdated, payloadGuards.threadNameUpdated)],
  ["thread_settings_applied", validator(ThreadSettingsApplied)],
  ["thread_spawn_status_updated", validator(ThreadSpawnStatusUpdated)],
  ["task_started", turnStarted],
  ["turn_started", turnStarted],
  ["task_complete", turnEnded],
  ["turn_complete", turnEnded],
  ["turn_aborted", turnEnded]
])
const decodeOtherEvent = validator(OtherEvent, payloadGuards.otherEvent)

const describe = (prefix: string, error: ParseResult.ParseError): string => {
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (first === undefined) return `${prefix}: invalid`
  const path = [prefix, ...first.path.map(String)].join(".")
  return `${path}: ${first.message}`
}

/**
 * Why a JSON value is not a rollout item.
 * @since 0.1.0
 * @category models
 */
export interface ItemDecodeFailure {
  readonly reason: string
}

const fail = (reason: string): Either.Either<RolloutItem, ItemDecodeFailure> => Either.left({ reason })

const decodeEvent = (payload: unknown): Either.Either<EventMsg, string> => {
  if (!isPlainObject(payload) || typeof payload["type"] !== "string") {
    return Either.left("payload.type: event_msg payload must be an object with a string type")
  }
  const decoder = eventDecoders.get(payload["type"]) ?? decodeOtherEvent
  return Either.mapLeft(decoder(payload), (e) => describe("payload", e))
}

/**
 * A wrapped item: the line's header, then `members`. Built by assignment, because V8 makes
 * `{ ...header, type, payload }` (a spread followed by new keys) a slow path, 1–2 µs a line.
 */
const wrappedItem = (line: Record<string, unknown>, members: Record<string, unknown>): RolloutItem => {
  const item: Record<string, unknown> = {}
  // A non-string timestamp (seen from converters) is treated as absent rather than fatal.
  if (typeof line["timestamp"] === "string") item["timestamp"] = line["timestamp"]
  if (typeof line["ordinal"] === "number") item["ordinal"] = line["ordinal"]
  for (const key in members) item[key] = members[key]
  return item as unknown as RolloutItem
}

/**
 * Decodes one parsed line into an item, or says why it is not one.
 * @since 0.1.0
 * @category decoding
 */
export const decodeRolloutItem = (line: unknown): Either.Either<RolloutItem, ItemDecodeFailure> => {
  if (!isPlainObject(line)) return fail("line is not a JSON object")
  const type = line["type"]
  if ("payload" in line && typeof type === "string") {
    const payload = line["payload"]
    switch (type) {
      case "session_meta":
      case "turn_context":
      case "response_item":
      case "compacted": {
        const decoded = decoders[type](payload)
        if (Either.isLeft(decoded)) return fail(describe("payload", decoded.left))
        return Either.right(wrappedItem(line, { type, payload: decoded.right }))
      }
      case "event_msg": {
        const decoded = decodeEvent(payload)
        if (Either.isLeft(decoded)) return fail(decoded.left)
        return Either.right(wrappedItem(line, { type, payload: decoded.right }))
      }
      default:
        return Either.right(wrappedItem(line, { type: "unknown", rawType: type, payload }))
    }
  }
  if (typeof line["record_type"] === "string") {
    return Either.right({ type: "legacy_state", payload: line as LegacyStateItem["payload"] })
  }
  if (typeof type === "string") {
    return Either.right({ type: "response_item", payload: line as ResponseItemItem["payload"], legacy: true })
  }
  if (typeof line["id"] === "string") {
    const decoded = decoders.legacy_header(line)
    if (Either.isLeft(decoded)) return fail(describe("header", decoded.left))
    return Either.right({ type: "legacy_header", payload: decoded.right as LegacyHeader })
  }
  if (typeof type !== "string" && "payload" in line) return fail("type: missing or not a string")
  return fail("not a rollout line: no type/payload envelope and no legacy shape")
}

/**
 * The JSON value a line is written as; the inverse of `decodeRolloutItem` for every item
 * that carries its whole payload (`skipped` items cannot be written back).
 * @since 0.1.0
 * @category encoding
 */
export const rolloutLineOf = (item: Exclude<RolloutItem, SkippedItem>): unknown => {
  switch (item.type) {
    case "legacy_header":
    case "legacy_state":
      return item.payload
    case "response_item":
      if (item.legacy) return item.payload
      return envelope(item, item.type, item.payload)
    case "unknown":
      return envelope(item, item.rawType, item.payload)
    default:
      return envelope(item, item.type, item.payload)
  }
}

const envelope = (item: Wrapped, type: string, payload: unknown): unknown => {
  const line: Record<string, unknown> = {}
  if (item.timestamp !== undefined) line["timestamp"] = item.timestamp
  if (item.ordinal !== undefined) line["ordinal"] = item.ordinal
  line["type"] = type
  line["payload"] = payload
  return line
}

/**
 * One newline-terminated line of compact JSON.
 * @since 0.1.0
 * @category encoding
 */
export const encodeRolloutLine = (item: Exclude<RolloutItem, SkippedItem>): string =>
  JSON.stringify(rolloutLineOf(item)) + "\n"
