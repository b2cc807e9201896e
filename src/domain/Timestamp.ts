/**
 * Timestamps in rollouts are ISO-8601 strings; the state stores epoch milliseconds.
 * @since 0.1.0
 */

const DIGIT_0 = 48

const digits = (s: string, from: number, count: number): number => {
  let value = 0
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - DIGIT_0
    if (d < 0 || d > 9) return -1
    value = value * 10 + d
  }
  return value
}

/**
 * Parses `YYYY-MM-DDThh:mm:ss[.fff…]Z` (the writer's format) without `Date.parse`,
 * falls back to `Date.parse` for other ISO forms, and accepts the file-name form
 * `YYYY-MM-DDThh-mm-ss` as UTC. Returns `undefined` when the text is not a time.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseTimestampMs = (text: string): number | undefined => {
  if (text.length >= 20 && text.charCodeAt(10) === 84 /* T */ && text.charCodeAt(text.length - 1) === 90 /* Z */) {
    const year = digits(text, 0, 4)
    const month = digits(text, 5, 2)
    const day = digits(text, 8, 2)
    const hour = digits(text, 11, 2)
    const minute = digits(text, 14, 2)
    const second = digits(text, 17, 2)
    if (
      year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23 && minute >= 0 &&
      minute <= 59 && second >= 0 && second <= 60 && text.charCodeAt(13) === 58 && text.charCodeAt(16) === 58
    ) {
      let millis = 0
      if (text.length > 20) {
        if (text.charCodeAt(19) !== 46 /* . */) return fallback(text)
        const fraction = text.slice(20, text.length - 1)
        const ms = digits(fraction.padEnd(3, "0"), 0, 3)
        if (ms < 0 || digits(fraction, 0, fraction.length) < 0) return fallback(text)
        millis = ms
      }
      return Date.UTC(year, month - 1, day, hour, minute, second, millis)
    }
  }
  return fallback(text)
}

const FILE_NAME_FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})$/

const fallback = (text: string): number | undefined => {
  const fileForm = FILE_NAME_FORM.exec(text)
  if (fileForm) {
    const [, y, mo, d, h, mi, s] = fileForm.map(Number) as [number, number, number, number, number, number, number]
    const ms = Date.UTC(y, mo - 1, d, h, mi, s)
    return Number.isNaN(ms) ? undefined : ms
  }
  // Date.parse treats an ISO date-time without zone as local time; the log is UTC.
  if (!/[Zz]|[+-]\d{2}:?\d{2}$/.test(text) || !/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

/**
 * Formats epoch milliseconds as ISO-8601 UTC with milliseconds, the rollout writer's form.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatTimestamp = (ms: number): string => new Date(ms).toISOString()
