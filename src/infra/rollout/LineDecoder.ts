/**
 * Turns one line's bytes into a rollout item. In `fold` mode, lines whose payload the
 * fold ignores (response items, compactions, unread events, unknown types) are only
 * checked for structure, never parsed into objects: they are most of a rollout's bytes.
 * @since 0.1.0
 */
import { Either } from "effect"
import { isUtf8 } from "node:buffer"
import {
  decodeRolloutItem,
  FOLD_EVENT_TYPES,
  KNOWN_IGNORED_EVENT_TYPES,
  type RolloutItem,
  type SkippedItem,
  WRAPPED_TYPES
} from "../../domain/RolloutItem.js"
import { isUnindexedRole, type MessageKind, messageKindOf } from "../../domain/ThreadMessages.js"
import {
  BACKSLASH,
  CLOSE_BRACE,
  COLON,
  COMMA,
  isJsonSpace,
  OPEN_BRACE,
  QUOTE,
  skipJsonSpace,
  skipJsonValue
} from "./JsonSkip.js"

/**
 * `full` decodes every payload; `fold` skips payloads the fold does not read.
 * @since 0.1.0
 */
export type DecodeMode = "full" | "fold"

/** @since 0.1.0 */
export type LineOutcome =
  | { readonly _tag: "Blank" }
  | { readonly _tag: "Item"; readonly item: RolloutItem; readonly invalidUtf8: boolean }
  | {
    readonly _tag: "Recovered"
    readonly item: RolloutItem
    readonly invalidUtf8: boolean
    /** Bytes of the partial record glued in front of the complete one. */
    readonly droppedBytes: number
  }
  | { readonly _tag: "Invalid"; readonly reason: string }

const isSpace = isJsonSpace
const skipSpace = skipJsonSpace

/**
 * Short ASCII strings known in advance, recognised from their bytes: the envelope's keys
 * and types are read on every line, and building strings for them was a measurable cost.
 */
class KnownStrings {
  private readonly byLength: Array<Array<{ readonly bytes: Buffer; readonly text: string }>> = []
  constructor(texts: Iterable<string>) {
    for (const text of texts) (this.byLength[text.length] ??= []).push({ bytes: Buffer.from(text, "latin1"), text })
  }
  /** The known string spelled by `bytes[start, end)`, or undefined. */
  find(bytes: Buffer, start: number, end: number): string | undefined {
    const candidates = this.byLength[end - start]
    if (candidates === undefined) return undefined
    search: for (const candidate of candidates) {
      for (let k = 0; k < candidate.bytes.length; k++) if (bytes[start + k] !== candidate.bytes[k]) continue search
      return candidate.text
    }
    return undefined
  }
}

const ENVELOPE_KEYS = new KnownStrings(["timestamp", "type", "payload", "ordinal"])
const LINE_TYPES = new KnownStrings(WRAPPED_TYPES)
const EVENT_TYPES = new KnownStrings([...FOLD_EVENT_TYPES, ...KNOWN_IGNORED_EVENT_TYPES])
const RESPONSE_TYPES = new KnownStrings([
  "message",
  "reasoning",
  "function_call",
  "function_call_output",
  "custom_tool_call",
  "custom_tool_call_output"
])
const TYPE_KEY = Buffer.from("\"type\"")
const ROLE_KEY = Buffer.from("\"role\"")
const ROLES = new KnownStrings(["user", "assistant", "developer", "system"])

/**
 * Index just past a short string at `i` holding printable ASCII only (no escapes), or -1:
 * the only strings the envelope is read from without a full parse.
 */
const plainStringEnd = (bytes: Buffer, i: number): number => {
  if (bytes[i] !== QUOTE) return -1
  const limit = Math.min(bytes.length, i + 258)
  for (let k = i + 1; k < limit; k++) {
    const c = bytes[k]!
    if (c === QUOTE) return k + 1
    if (c === BACKSLASH || c < 0x20 || c >= 0x80) return -1
  }
  return -1
}

/** The text of a plain string at `i` (a known one without building it), or undefined. */
const readPlain = (
  bytes: Buffer,
  i: number,
  known: KnownStrings
): { readonly value: string; readonly end: number } | undefined => {
  const end = plainStringEnd(bytes, i)
  if (end === -1) return undefined
  return { value: known.find(bytes, i + 1, end - 1) ?? bytes.toString("latin1", i + 1, end - 1), end }
}

/** Whether an object at `i` starts with a string `type` member: `{"type":"…"`; returns its value's end, or -1. */
const leadingTypeEnd = (bytes: Buffer, i: number): number => {
  if (bytes[i] !== OPEN_BRACE) return -1
  const key = skipSpace(bytes, i + 1)
  for (let k = 0; k < TYPE_KEY.length; k++) if (bytes[key + k] !== TYPE_KEY[k]) return -1
  const colon = skipSpace(bytes, key + TYPE_KEY.length)
  if (bytes[colon] !== COLON) return -1
  const value = skipSpace(bytes, colon + 1)
  return plainStringEnd(bytes, value) === -1 ? -1 : value
}

/**
 * Whether the member after a payload's `type` (whose value ends at `i`) is a plain string
 * `role` that is never indexed: `,"role":"developer"`, as hosts write a message.
 */
const unindexedRoleAt = (bytes: Buffer, i: number): boolean => {
  const comma = skipSpace(bytes, i)
  if (bytes[comma] !== COMMA) return false
  const key = skipSpace(bytes, comma + 1)
  for (let k = 0; k < ROLE_KEY.length; k++) if (bytes[key + k] !== ROLE_KEY[k]) return false
  const colon = skipSpace(bytes, key + ROLE_KEY.length)
  if (bytes[colon] !== COLON) return false
  const role = readPlain(bytes, skipSpace(bytes, colon + 1), ROLES)
  return role !== undefined && isUnindexedRole(role.value)
}

/**
 * Whether a payload may be skipped: neither the fold nor the search index (its `indexed`
 * kinds) reads it, and full decoding must be sure to accept it (an object with a string
 * `type` where the schema asks for one). A message whose role is never indexed is skipped too.
 */
const skippable = (
  type: string,
  payloadType: string | undefined,
  typed: boolean,
  firstByte: number | undefined,
  indexed: ReadonlySet<MessageKind>,
  unindexedRole: boolean
): boolean => {
  switch (type) {
    case "session_meta":
    case "turn_context":
      return false
    case "event_msg":
    case "response_item": {
      if (!typed || (type === "event_msg" && FOLD_EVENT_TYPES.has(payloadType!))) return false
      const kind = messageKindOf(type, payloadType)
      return kind === undefined || !indexed.has(kind) || (kind === "response" && unindexedRole)
    }
    case "compacted":
      return firstByte === OPEN_BRACE
    default:
      return true
  }
}

const SEEN_TIMESTAMP = 1
const SEEN_TYPE = 2
const SEEN_PAYLOAD = 4
const SEEN_ORDINAL = 8

/**
 * Reads the envelope member by member; returns a skipped item when the payload is one the
 * fold ignores, `undefined` when the line needs a full parse. It never accepts a line that
 * `JSON.parse` rejects for its structure, so a glued write (a cut record before a whole
 * one, never one balanced value) always gets the full parse that recovers it.
 */
const skimEnvelope = (bytes: Buffer, indexed: ReadonlySet<MessageKind>): LineOutcome | undefined => {
  let i = skipSpace(bytes, 0)
  if (bytes[i] !== OPEN_BRACE) return undefined
  i++
  let timestamp: string | undefined
  let ordinal: number | undefined
  let type: string | undefined
  let eventType: string | undefined
  let seen = 0
  for (;;) {
    i = skipSpace(bytes, i)
    const keyEnd = plainStringEnd(bytes, i)
    if (keyEnd === -1) return undefined
    const key = ENVELOPE_KEYS.find(bytes, i + 1, keyEnd - 1)
    i = skipSpace(bytes, keyEnd)
    if (bytes[i] !== COLON) return undefined
    i = skipSpace(bytes, i + 1)
    // A repeated member means JSON.parse keeps the last one: let it decide.
    switch (key) {
      case "timestamp": {
        if ((seen & SEEN_TIMESTAMP) !== 0) return undefined
        seen |= SEEN_TIMESTAMP
        const end = plainStringEnd(bytes, i)
        if (end === -1) return undefined
        timestamp = bytes.toString("latin1", i + 1, end - 1)
        i = end
        break
      }
      case "type": {
        if ((seen & SEEN_TYPE) !== 0) return undefined
        seen |= SEEN_TYPE
        const value = readPlain(bytes, i, LINE_TYPES)
        if (value === undefined) return undefined
        type = value.value
        i = value.end
        break
      }
      case "ordinal": {
        if ((seen & SEEN_ORDINAL) !== 0) return undefined
        seen |= SEEN_ORDINAL
        const end = skipJsonValue(bytes, i)
        if (end === -1) return undefined
        const parsed: unknown = JSON.parse(bytes.toString("latin1", i, end))
        if (typeof parsed !== "number") return undefined
        ordinal = parsed
        i = end
        break
      }
      case "payload": {
        if ((seen & SEEN_PAYLOAD) !== 0 || type === undefined) return undefined
        seen |= SEEN_PAYLOAD
        let typed = false
        let responseType: string | undefined
        let unindexedRole = false
        if (type === "event_msg" || type === "response_item") {
          const typeAt = leadingTypeEnd(bytes, i)
          typed = typeAt !== -1
          if (typed && type === "event_msg") eventType = readPlain(bytes, typeAt, EVENT_TYPES)?.value
          if (typed && type === "response_item") {
            const read = readPlain(bytes, typeAt, RESPONSE_TYPES)
            responseType = read?.value
            unindexedRole = responseType === "message" && unindexedRoleAt(bytes, read!.end)
          }
        }
        if (!skippable(type, eventType ?? responseType, typed, bytes[i], indexed, unindexedRole)) return undefined
        const end = skipJsonValue(bytes, i, "structural")
        if (end === -1) return undefined
        i = end
        break
      }
      default:
        return undefined
    }
    i = skipSpace(bytes, i)
    if (bytes[i] === COMMA) {
      i++
      continue
    }
    if (bytes[i] !== CLOSE_BRACE || skipSpace(bytes, i + 1) !== bytes.length) return undefined
    break
  }
  if ((seen & SEEN_PAYLOAD) === 0 || type === undefined) return undefined
  const item: { -readonly [K in keyof SkippedItem]: SkippedItem[K] } = {
    type: "skipped",
    lineType: type,
    byteLength: bytes.length
  }
  if (timestamp !== undefined) item.timestamp = timestamp
  if (ordinal !== undefined) item.ordinal = ordinal
  if (eventType !== undefined) item.eventType = eventType
  return { _tag: "Item", item, invalidUtf8: !isUtf8(bytes) }
}

const parseItem = (text: string): Either.Either<RolloutItem, string> => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return Either.left(`invalid JSON: ${(error as Error).message}`)
  }
  return Either.mapLeft(decodeRolloutItem(value), (failure) => failure.reason)
}

const GLUE_MARKER = Buffer.from("{\"timestamp\"")

/**
 * A failed write retried on the same physical line leaves `{partial…{complete}`: find the
 * first later record start from which the rest of the line is a valid item.
 */
const recoverGlued = (bytes: Buffer): { readonly item: RolloutItem; readonly at: number } | undefined => {
  let at = bytes.indexOf(GLUE_MARKER, 1)
  while (at !== -1) {
    const parsed = parseItem(bytes.toString("utf8", at))
    if (Either.isRight(parsed)) return { item: parsed.right, at }
    at = bytes.indexOf(GLUE_MARKER, at + 1)
  }
  return undefined
}

const NOTHING_INDEXED: ReadonlySet<MessageKind> = new Set()

/**
 * Decodes one line (without its `\n`). In `fold` mode a line the fold ignores is still decoded
 * when it carries a message of an `indexed` kind (the search index reads its text).
 * @since 0.1.0
 */
export const decodeLine = (
  bytes: Buffer,
  mode: DecodeMode,
  indexed: ReadonlySet<MessageKind> = NOTHING_INDEXED
): LineOutcome => {
  let end = bytes.length
  while (end > 0 && isSpace(bytes[end - 1])) end--
  if (end === 0) return { _tag: "Blank" }
  const line = end === bytes.length ? bytes : bytes.subarray(0, end)
  if (mode === "fold") {
    const skimmed = skimEnvelope(line, indexed)
    if (skimmed !== undefined) return skimmed
  }
  const invalidUtf8 = !isUtf8(line)
  const parsed = parseItem(line.toString("utf8"))
  if (Either.isRight(parsed)) return { _tag: "Item", item: parsed.right, invalidUtf8 }
  const recovered = recoverGlued(line)
  if (recovered !== undefined) {
    return { _tag: "Recovered", item: recovered.item, invalidUtf8, droppedBytes: recovered.at }
  }
  return { _tag: "Invalid", reason: parsed.left }
}
