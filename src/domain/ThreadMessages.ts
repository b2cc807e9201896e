/**
 * What the search index reads from a rollout: the text of the messages a thread holds, by kind.
 * One rule says which lines carry indexed text (the reader decodes exactly those, and skips the
 * rest unparsed) and what their text is.
 * @since 0.1.0
 */
import { isPlainObject } from "./Json.js"
import type { RolloutItem, UserMessage } from "./RolloutItem.js"
import { userMessagePreview } from "./ThreadFold.js"

/**
 * `user`: a user message event (the text after the IDE marker); `agent`: an agent message
 * event; `response`: the text parts of a `response_item` message (user and assistant roles;
 * developer and system instructions are never indexed); `reasoning`: reasoning summaries;
 * `tool_output`: the output of a tool call.
 * @since 0.1.0
 */
export type MessageKind = "user" | "agent" | "response" | "reasoning" | "tool_output"

/** @since 0.1.0 */
export const MESSAGE_KINDS: ReadonlyArray<MessageKind> = ["user", "agent", "response", "reasoning", "tool_output"]

/**
 * What is indexed unless configured otherwise: what was said, not what tools printed or how the
 * model reasoned (docs/decisions.md, "Full-text search").
 * @since 0.1.0
 */
export const DEFAULT_MESSAGE_KINDS: ReadonlyArray<MessageKind> = ["user", "agent", "response"]

/**
 * A message's text is indexed up to this many characters: one pasted log must not cost a live
 * append (or the index) megabytes.
 * @since 0.1.0
 */
export const MAX_MESSAGE_CHARS = 32_768

/**
 * One indexed message: its line in the file (`position`), the turn it belongs to (`null`
 * before the first turn), its kind and text.
 * @since 0.1.0
 * @category models
 */
export interface ThreadMessage {
  readonly position: number
  readonly turnIndex: number | null
  readonly kind: MessageKind
  readonly text: string
}

/**
 * What the echo rule compares of the message indexed last.
 * @since 0.1.0
 * @category models
 */
export type IndexedText = Pick<ThreadMessage, "kind" | "text">

/**
 * Whether `message` is the echo of `previous`, the message of the thread indexed last, and so
 * is not indexed: a current host writes each user and agent message twice, as an event and as a
 * response item on neighbouring lines, in either order; the first of the two is kept. One of
 * them must be a response item, so of a pair one always stays, and a legacy file (response
 * items only) keeps all of its messages (docs/decisions.md, "Full-text search").
 * @since 0.1.0
 */
export const echoes = (previous: IndexedText | undefined, message: IndexedText): boolean =>
  previous !== undefined && previous.text === message.text &&
  (previous.kind === "response" ? isEvent(message.kind) : message.kind === "response" && isEvent(previous.kind))

const isEvent = (kind: MessageKind): boolean => kind === "user" || kind === "agent"

/**
 * The kind a line of this type (`event_msg`/`response_item` and its payload's `type`) is
 * indexed as, when any.
 * @since 0.1.0
 */
export const messageKindOf = (lineType: string, payloadType: string | undefined): MessageKind | undefined => {
  if (lineType === "event_msg") {
    switch (payloadType) {
      case "user_message":
        return "user"
      case "agent_message":
        return "agent"
      case "agent_reasoning":
        return "reasoning"
      default:
        return undefined
    }
  }
  if (lineType === "response_item") {
    switch (payloadType) {
      case "message":
        return "response"
      case "reasoning":
        return "reasoning"
      case "function_call_output":
      case "custom_tool_call_output":
        return "tool_output"
      default:
        return undefined
    }
  }
  return undefined
}

const TEXT_PART_TYPES: ReadonlySet<unknown> = new Set(["input_text", "output_text", "text", "summary_text"])
const UNINDEXED_ROLES: ReadonlySet<unknown> = new Set(["developer", "system"])

/**
 * Whether a `response_item` message of this role is never indexed (developer and system
 * instructions): the reader skips its line unparsed.
 * @since 0.1.0
 */
export const isUnindexedRole = (role: unknown): boolean => UNINDEXED_ROLES.has(role)

/** The `text` of each text part of a content array, joined by newlines. */
const textParts = (parts: unknown): string => {
  if (!Array.isArray(parts)) return ""
  const texts: Array<string> = []
  for (const part of parts) {
    if (isPlainObject(part) && TEXT_PART_TYPES.has(part["type"]) && typeof part["text"] === "string") {
      texts.push(part["text"])
    }
  }
  return texts.join("\n")
}

const outputText = (output: unknown): string => {
  if (typeof output === "string") return output
  if (isPlainObject(output)) {
    if (typeof output["content"] === "string") return output["content"]
    return textParts(output["content"])
  }
  return textParts(output)
}

const stringOf = (value: unknown): string => (typeof value === "string" ? value : "")

const capped = (text: string): string | undefined => {
  const trimmed = text.trim()
  if (trimmed === "") return undefined
  return trimmed.length > MAX_MESSAGE_CHARS ? trimmed.slice(0, MAX_MESSAGE_CHARS) : trimmed
}

/**
 * The indexed text of an item of one of `kinds`, or undefined (not a message, another kind, or
 * no text).
 * @since 0.1.0
 */
export const messageTextOf = (
  item: RolloutItem,
  kinds: ReadonlySet<MessageKind>
): { readonly kind: MessageKind; readonly text: string } | undefined => {
  if (item.type !== "event_msg" && item.type !== "response_item") return undefined
  const payload = item.payload as Record<string, unknown>
  const kind = messageKindOf(item.type, payload["type"] as string)
  if (kind === undefined || !kinds.has(kind)) return undefined
  let text: string
  switch (payload["type"]) {
    case "user_message":
      text = userMessagePreview(payload as unknown as UserMessage).text ?? ""
      break
    case "agent_message":
      text = stringOf(payload["message"])
      break
    case "agent_reasoning":
      text = stringOf(payload["text"])
      break
    case "message":
      text = isUnindexedRole(payload["role"]) ? "" : textParts(payload["content"])
      break
    case "reasoning":
      text = textParts(payload["summary"])
      break
    default:
      text = outputText(payload["output"])
  }
  const indexed = capped(text)
  return indexed === undefined ? undefined : { kind, text: indexed }
}
