/**
 * Operational log lines (SPEC §7, §11): level names and severity, the feedback line
 * `<timestamp with microseconds>Z <LEVEL right-aligned in 5> <body>\n`, its size in UTF-8
 * bytes (the row's `estimated_bytes`), the body of an Effect log record, and the byte cap of
 * a feedback export.
 * @since 0.1.0
 */
import { Array as Arr, Inspectable, Schema } from "effect"

/**
 * Level names, least severe first.
 * @since 0.1.0
 */
export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const

/** @since 0.1.0 @category schemas */
export const LogLevelName = Schema.Literal(...LOG_LEVELS)

/** @since 0.1.0 @category models */
export type LogLevelName = typeof LogLevelName.Type

/**
 * The levels a filter on `level` keeps: that level and every more severe one (a threshold;
 * stored levels compare in upper case).
 * @since 0.1.0
 */
export const atLeast = (level: LogLevelName): ReadonlyArray<LogLevelName> => LOG_LEVELS.slice(LOG_LEVELS.indexOf(level))

/**
 * A level name as a person types it (any case; `warning` for `WARN`), or undefined.
 * Effect's labels (`INFO`, `WARN`, ...) parse as themselves.
 * @since 0.1.0
 */
export const parseLevel = (text: string): LogLevelName | undefined => {
  const upper = text.trim().toUpperCase()
  if (upper === "WARNING") return "WARN"
  return (LOG_LEVELS as ReadonlyArray<string>).includes(upper) ? upper as LogLevelName : undefined
}

/**
 * The last second a rendered timestamp has four year digits for (9999-12-31T23:59:59Z).
 * @since 0.1.0
 */
export const MAX_TS = 253_402_300_799

/**
 * Seconds since the epoch that render with a fixed width: 1970 to 9999.
 * @since 0.1.0
 * @category schemas
 */
export const LogSeconds = Schema.Int.pipe(Schema.between(0, MAX_TS))

/** @since 0.1.0 @category schemas */
export const LogNanos = Schema.Int.pipe(Schema.between(0, 999_999_999))

/**
 * Width of a rendered timestamp: `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`.
 * @since 0.1.0
 */
export const TIMESTAMP_WIDTH = 27

/**
 * Columns a level is right-aligned in (`" INFO"`, `"ERROR"`), as the reference's `{:>5}`.
 * @since 0.1.0
 */
export const LEVEL_WIDTH = 5

/**
 * RFC 3339 UTC with microseconds, as the reference's feedback lines: a stored `ts_nanos` is
 * cut (not rounded) to its microsecond, so a line never shows a later instant than its row.
 * @since 0.1.0
 */
export const formatTimestamp = (ts: number, tsNanos: number): string =>
  `${new Date(ts * 1000).toISOString().slice(0, 19)}.${String(Math.floor(tsNanos / 1000)).padStart(6, "0")}Z`

/**
 * A stored level as a line shows it: a known level in upper case whatever its stored case,
 * anything else as stored; right-aligned in `LEVEL_WIDTH` columns.
 * @since 0.1.0
 */
export const levelColumn = (level: string): string => {
  const upper = level.toUpperCase()
  return ((LOG_LEVELS as ReadonlyArray<string>).includes(upper) ? upper : level).padStart(LEVEL_WIDTH)
}

/**
 * A row's feedback line, ended by exactly one newline (a body that already ends with one gets
 * no second).
 * @since 0.1.0
 */
export const feedbackLine = (
  row: { readonly ts: number; readonly tsNanos: number; readonly level: string; readonly body: string }
): string => {
  const line = `${formatTimestamp(row.ts, row.tsNanos)} ${levelColumn(row.level)} ${row.body}`
  return row.body.endsWith("\n") ? line : `${line}\n`
}

/**
 * UTF-8 size of a row's feedback line: `estimated_bytes`. Exact for timestamps in
 * `LogSeconds` (and any level whose upper case is as long as it); it needs no rendering, so the writer pays one `byteLength` per row.
 * @since 0.1.0
 */
export const lineBytes = (level: string, body: string): number =>
  TIMESTAMP_WIDTH + 1 + Math.max(0, LEVEL_WIDTH - level.length) + Buffer.byteLength(level, "utf8") + 1 +
  Buffer.byteLength(body, "utf8") + (body.endsWith("\n") ? 0 : 1)

/**
 * The smallest `lineBytes` of any row (an empty body): a byte cap fits at most
 * `floor(cap / MIN_LINE_BYTES)` rows.
 * @since 0.1.0
 */
export const MIN_LINE_BYTES = TIMESTAMP_WIDTH + 1 + LEVEL_WIDTH + 1 + 1

/**
 * Keeps the newest lines (each with its newline) whose total UTF-8 size fits `maxBytes`,
 * stopping at the first that does not fit (the kept lines are the newest, with no gap), and
 * returns them oldest first. A line is never cut.
 * @since 0.1.0
 */
export const keepNewestWithin = (newestFirst: ReadonlyArray<string>, maxBytes: number): Array<string> => {
  const kept: Array<string> = []
  let total = 0
  for (const line of newestFirst) {
    total += Buffer.byteLength(line, "utf8")
    if (total > maxBytes) break
    kept.push(line)
  }
  return kept.reverse()
}

/**
 * Lines that each end with their newline, as one text.
 * @since 0.1.0
 */
export const joinLines = (lines: ReadonlyArray<string>): string => lines.join("")

// Values that need no quotes, as in Effect's logfmt logger.
const TEXT_ONLY = /^[^\s"=]+$/

const formatLabel = (label: string): string => label.replace(/[\s="]/g, "_")

/**
 * A field value as written in a body: bare when it has no space, quote or `=`, else as a
 * JSON string (so a body stays on one line unless its message spans several).
 * @since 0.1.0
 */
export const quoteValue = (value: string): string => TEXT_ONLY.test(value) ? value : JSON.stringify(value)

/**
 * An Effect log message (a value or an array of them) as text: strings as they are, other
 * values as compact JSON, joined by spaces.
 * @since 0.1.0
 */
export const messageText = (message: unknown): string => {
  if (typeof message === "string") return message
  const parts = Arr.ensure(message)
  let out = ""
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]
    if (i > 0) out += " "
    out += typeof part === "string" ? part : Inspectable.toStringUnknown(part, 0)
  }
  return out
}

/**
 * What a line body is made of.
 * @since 0.1.0
 * @category models
 */
export interface BodyParts {
  readonly message: string
  /** Log spans, innermost first, with the time since each started. */
  readonly spans: ReadonlyArray<readonly [label: string, elapsedMs: number]>
  /** Annotations that have no column of their own, values already as text. */
  readonly fields: ReadonlyArray<readonly [key: string, value: string]>
  /** A rendered cause, for a log that carries one. */
  readonly cause?: string | undefined
}

/**
 * `<message> <span>=<n>ms … <key>=<value> … cause=<cause>`, the order of Effect's logfmt
 * logger without its `timestamp`, `level` and `fiber` (the line has the first two).
 * @since 0.1.0
 */
export const renderBody = (parts: BodyParts): string => {
  let out = parts.message
  const append = (piece: string) => {
    out = out === "" ? piece : `${out} ${piece}`
  }
  for (const [label, elapsedMs] of parts.spans) append(`${formatLabel(label)}=${elapsedMs}ms`)
  for (const [key, value] of parts.fields) append(`${formatLabel(key)}=${quoteValue(value)}`)
  if (parts.cause !== undefined && parts.cause !== "") append(`cause=${quoteValue(parts.cause)}`)
  return out
}
