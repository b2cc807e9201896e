/**
 * Host ids (issue 20): which host of a fleet sharing one PostgreSQL database a row belongs to.
 * Rows key a rollout by host and path, so an id is checked like a path component: non-empty,
 * at most 128 characters, printable (no control, format or unassigned characters), no `/`.
 * @since 0.1.0
 */
import { Either, Schema } from "effect"

/** @since 0.1.0 */
export const MAX_HOST_ID_LENGTH = 128

/** Control, format, surrogate, private-use and unassigned code points. */
const UNPRINTABLE = /\p{C}/u

const problem = (input: string): string | undefined => {
  if (input.length === 0) return "is empty"
  if ([...input].length > MAX_HOST_ID_LENGTH) return `is longer than ${MAX_HOST_ID_LENGTH} characters`
  if (input.includes("/")) return "contains a /"
  if (UNPRINTABLE.test(input)) return "contains a character that is not printable"
  if (input.trim() !== input) return "starts or ends with white space"
  return undefined
}

/**
 * @since 0.1.0
 * @category schemas
 */
export const HostId = Schema.String.pipe(
  Schema.filter((input) => problem(input) === undefined, { identifier: "HostId" }),
  Schema.brand("HostId")
)

/** @since 0.1.0 */
export type HostId = typeof HostId.Type

/** A bad id as a message shows it: quoted, control characters escaped, cut at 80 characters. */
const shown = (input: string): string => JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input)

/**
 * The id, or why it is none (the reason names the id as given).
 * @since 0.1.0
 */
export const parseHostId = (input: string): Either.Either<HostId, string> => {
  const reason = problem(input)
  return reason === undefined ? Either.right(input as HostId) : Either.left(`${shown(input)} ${reason}`)
}

/**
 * The id a machine's host name gives: trimmed, lower-cased (DNS names ignore case, and one
 * machine may report either), without a trailing dot, each `/` or unprintable character made
 * `-`, cut to the maximum length; `undefined` when nothing is left.
 * @since 0.1.0
 */
export const hostIdFromHostname = (hostname: string): HostId | undefined => {
  const normalized = [...hostname.trim().toLowerCase().replace(/\.+$/, "")]
    .map((char) => (char === "/" || UNPRINTABLE.test(char) ? "-" : char))
    .slice(0, MAX_HOST_ID_LENGTH)
    .join("")
    .trim()
  return Either.getOrUndefined(parseHostId(normalized))
}
