/**
 * Opaque keyset cursors: a position `(sortMs, id)` under a sort key, base64url-encoded.
 * Ties on the timestamp are broken by id, so no timestamp is ever altered to be unique.
 * @since 0.1.0
 */
import { Either, Schema } from "effect"

/** @since 0.1.0 */
export type SortDirection = "asc" | "desc"

/**
 * A position in a listing: the row's sort value and its id.
 * @since 0.1.0
 * @category models
 */
export interface Position {
  readonly sortMs: number
  readonly id: string
}

const CursorJson = Schema.parseJson(Schema.Tuple(Schema.String, Schema.Int, Schema.String))

/**
 * @since 0.1.0
 * @category errors
 */
export class InvalidCursor extends Schema.TaggedError<InvalidCursor>()("InvalidCursor", {
  cursor: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    // A cursor comes from the command line or a request: never echo a huge one whole.
    const shown = this.cursor.length > SHOWN_CURSOR_CHARS
      ? `${JSON.stringify(this.cursor.slice(0, SHOWN_CURSOR_CHARS))}… (${this.cursor.length} characters)`
      : JSON.stringify(this.cursor)
    return `invalid cursor ${shown}: ${this.reason}`
  }
}

const SHOWN_CURSOR_CHARS = 32

/**
 * Longer than any cursor `encodeCursor` makes (about 100 characters): refused before decoding.
 * @since 0.1.0
 */
export const MAX_CURSOR_CHARS = 512

/**
 * Encodes a position under `sortKey` (a cursor made for one sort is refused by another).
 * @since 0.1.0
 */
export const encodeCursor = (sortKey: string, position: Position): string =>
  Buffer.from(JSON.stringify([sortKey, position.sortMs, position.id])).toString("base64url")

/**
 * Decodes a cursor made by `encodeCursor` for the same sort key.
 * @since 0.1.0
 */
export const decodeCursor = (sortKey: string, cursor: string): Either.Either<Position, InvalidCursor> => {
  if (cursor.length > MAX_CURSOR_CHARS) {
    return Either.left(
      new InvalidCursor({ cursor, reason: `longer than ${MAX_CURSOR_CHARS} characters` })
    )
  }
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) {
    return Either.left(new InvalidCursor({ cursor, reason: "not a cursor this engine made" }))
  }
  const decoded = Schema.decodeUnknownEither(CursorJson)(Buffer.from(cursor, "base64url").toString("utf8"))
  if (Either.isLeft(decoded)) return Either.left(new InvalidCursor({ cursor, reason: "not a cursor this engine made" }))
  const [key, sortMs, id] = decoded.right
  if (key !== sortKey) return Either.left(new InvalidCursor({ cursor, reason: `made for sort ${key}, not ${sortKey}` }))
  return Either.right({ sortMs, id })
}

/**
 * Whether `a` comes before `b` in a listing in `direction` (keyset order).
 * @since 0.1.0
 */
export const precedes = (a: Position, b: Position, direction: SortDirection): boolean => {
  const ascending = a.sortMs < b.sortMs || (a.sortMs === b.sortMs && a.id < b.id)
  const equal = a.sortMs === b.sortMs && a.id === b.id
  return direction === "asc" ? ascending : !ascending && !equal
}
