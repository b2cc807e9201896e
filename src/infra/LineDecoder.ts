/**
 * Turns one line's bytes into a rollout item. In `fold` mode, lines whose payload the
 * fold ignores (response items, compactions, unread events, unknown types) are only
 * checked for structure, never parsed into objects: they are most of a rollout's bytes.
 * @since 0.1.0
 */
import { isUtf8 } from "node:buffer"
import { Either } from "effect"
import { decodeRolloutItem, FOLD_EVENT_TYPES, type RolloutItem } from "../domain/RolloutItem.js"
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

/** An ASCII string without escapes at `i`, or undefined (the caller then parses fully). */
const readPlainString = (bytes: Buffer, i: number): { readonly value: string; readonly end: number } | undefined => {
  if (bytes[i] !== QUOTE) return undefined
  const close = bytes.indexOf(QUOTE, i + 1)
  if (close === -1 || close - i > 256) return undefined
  for (let k = i + 1; k < close; k++) {
    const c = bytes[k]!
    if (c === BACKSLASH || c >= 0x80) return undefined
  }
  return { value: bytes.toString("latin1", i + 1, close), end: close + 1 }
}

/** The `type` of an object payload when it is its first member: `{"type":"…"`. */
const leadingType = (bytes: Buffer, i: number): string | undefined => {
  if (bytes[i] !== OPEN_BRACE) return undefined
  const key = readPlainString(bytes, skipSpace(bytes, i + 1))
  if (key === undefined || key.value !== "type") return undefined
  const colon = skipSpace(bytes, key.end)
  if (bytes[colon] !== COLON) return undefined
  return readPlainString(bytes, skipSpace(bytes, colon + 1))?.value
}

/**
 * Whether a payload may be skipped: the fold must not read it, and full decoding must be
 * sure to accept it (an object with a string `type` where the schema asks for one).
 */
const skippable = (type: string, leading: string | undefined, firstByte: number | undefined): boolean => {
  switch (type) {
    case "session_meta":
    case "turn_context":
      return false
    case "event_msg":
      return leading !== undefined && !FOLD_EVENT_TYPES.has(leading)
    case "response_item":
      return leading !== undefined
    case "compacted":
      return firstByte === OPEN_BRACE
    default:
      return true
  }
}

/**
 * Reads the envelope member by member; returns a skipped item when the payload is one the
 * fold ignores, `undefined` when the line needs a full parse, or an invalid outcome.
 */
const skimEnvelope = (bytes: Buffer): LineOutcome | undefined => {
  let i = skipSpace(bytes, 0)
  if (bytes[i] !== OPEN_BRACE) return undefined
  i++
  let timestamp: string | undefined
  let ordinal: number | undefined
  let type: string | undefined
  let eventType: string | undefined
  let sawPayload = false
  const seen = new Set<string>()
  for (;;) {
    i = skipSpace(bytes, i)
    const key = readPlainString(bytes, i)
    // A repeated member means JSON.parse keeps the last one: let it decide.
    if (key === undefined || seen.has(key.value)) return undefined
    seen.add(key.value)
    i = skipSpace(bytes, key.end)
    if (bytes[i] !== COLON) return undefined
    i = skipSpace(bytes, i + 1)
    switch (key.value) {
      case "timestamp": {
        const value = readPlainString(bytes, i)
        if (value === undefined) return undefined
        timestamp = value.value
        i = value.end
        break
      }
      case "type": {
        const value = readPlainString(bytes, i)
        if (value === undefined) return undefined
        type = value.value
        i = value.end
        break
      }
      case "ordinal": {
        const end = skipJsonValue(bytes, i)
        if (end === -1) return undefined
        const parsed: unknown = JSON.parse(bytes.toString("latin1", i, end))
        if (typeof parsed !== "number") return undefined
        ordinal = parsed
        i = end
        break
      }
      case "payload": {
        if (type === undefined) return undefined
        const leading = type === "event_msg" || type === "response_item" ? leadingType(bytes, i) : undefined
        if (!skippable(type, leading, bytes[i])) return undefined
        if (type === "event_msg") eventType = leading
        const end = skipJsonValue(bytes, i, "structural")
        if (end === -1) return undefined
        i = end
        sawPayload = true
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
  if (!sawPayload || type === undefined) return undefined
  const item: RolloutItem = {
    type: "skipped",
    lineType: type,
    byteLength: bytes.length,
    ...(timestamp === undefined ? {} : { timestamp }),
    ...(ordinal === undefined ? {} : { ordinal }),
    ...(eventType === undefined ? {} : { eventType })
  }
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

/**
 * Decodes one line (without its `\n`).
 * @since 0.1.0
 */
export const decodeLine = (bytes: Buffer, mode: DecodeMode): LineOutcome => {
  let end = bytes.length
  while (end > 0 && isSpace(bytes[end - 1])) end--
  if (end === 0) return { _tag: "Blank" }
  const line = end === bytes.length ? bytes : bytes.subarray(0, end)
  // A second record start on the line means a glued write: only a full parse can recover it.
  if (mode === "fold" && line.indexOf(GLUE_MARKER, 1) === -1) {
    const skimmed = skimEnvelope(line)
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
