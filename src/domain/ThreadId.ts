/**
 * Thread ids (SPEC §12): UUIDs of any version, lowercase hex with dashes. An id becomes part
 * of a file name and a row key, so nothing else is accepted (no `/`, `..`, NUL or empty id).
 * @since 0.1.0
 */
import { Either, Schema } from "effect"

const PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * @since 0.1.0
 * @category schemas
 */
export const ThreadId = Schema.String.pipe(Schema.pattern(PATTERN), Schema.brand("ThreadId"))

/** @since 0.1.0 */
export type ThreadId = typeof ThreadId.Type

/** @since 0.1.0 */
export const isThreadId = (input: unknown): input is ThreadId => typeof input === "string" && PATTERN.test(input)

/** A bad id as an error message shows it: quoted, control characters escaped, cut at 80 characters. */
const shown = (input: unknown): string =>
  typeof input === "string" ? JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input) : typeof input

/**
 * The id, or why it is none (the reason names the id as given).
 * @since 0.1.0
 */
export const parseThreadId = (input: unknown): Either.Either<ThreadId, string> =>
  isThreadId(input) ? Either.right(input) : Either.left(`${shown(input)} is not a UUID in lowercase hex with dashes`)
