/**
 * Checks one JSON value in place and says where it ends, without building it: the
 * selective reader's way past payloads the fold ignores. Two strengths:
 * - `exact` accepts exactly what `JSON.parse` accepts (grammar, escapes, raw control
 *   characters, number syntax), at the cost of a JS loop over every byte;
 * - `structural` checks the same grammar but crosses string contents with native
 *   `indexOf` jumps, leaving escape validity and raw control characters inside strings
 *   unchecked. Truncated and glued records are still caught (unbalanced or unclosed), and
 *   no JSON writer produces the rest; it is what makes selective reading faster than
 *   parsing (docs/decisions.md).
 * @since 0.1.0
 */

/** Bytes of JSON's structure. @since 0.1.0 */
export const QUOTE = 0x22
/** @since 0.1.0 */
export const BACKSLASH = 0x5c
/** @since 0.1.0 */
export const OPEN_BRACE = 0x7b
/** @since 0.1.0 */
export const CLOSE_BRACE = 0x7d
/** @since 0.1.0 */
export const COMMA = 0x2c
/** @since 0.1.0 */
export const COLON = 0x3a
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/** @since 0.1.0 */
export const isJsonSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a

/** @since 0.1.0 */
export const skipJsonSpace = (bytes: Uint8Array, i: number): number => {
  while (i < bytes.length && isJsonSpace(bytes[i])) i++
  return i
}

const isHex = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))

/** Bytes that end a run of plain string content: `"`, `\\` and raw control characters. */
const STRING_STOP = (() => {
  const table = new Uint8Array(256)
  for (let c = 0; c < 0x20; c++) table[c] = 1
  table[QUOTE] = 1
  table[BACKSLASH] = 1
  return table
})()

/**
 * Index just past the string whose opening quote is at `i`, or -1; validates its content.
 * @since 0.1.0
 */
export const skipJsonString = (bytes: Uint8Array, i: number): number => {
  const length = bytes.length
  let j = i + 1
  for (;;) {
    // One table lookup per byte of plain content: the hot loop of selective reading.
    while (j < length && STRING_STOP[bytes[j]!] === 0) j++
    if (j >= length) return -1
    const c = bytes[j]!
    if (c === QUOTE) return j + 1
    if (c !== BACKSLASH) return -1
    const escaped = bytes[j + 1]
    if (escaped === 0x75 /* u */) {
      if (!isHex(bytes[j + 2]) || !isHex(bytes[j + 3]) || !isHex(bytes[j + 4]) || !isHex(bytes[j + 5])) return -1
      j += 6
      continue
    }
    // " \ / b f n r t
    if (
      escaped !== QUOTE && escaped !== BACKSLASH && escaped !== 0x2f && escaped !== 0x62 && escaped !== 0x66 &&
      escaped !== 0x6e && escaped !== 0x72 && escaped !== 0x74
    ) return -1
    j += 2
  }
}

/**
 * Index just past the string whose opening quote is at `i`, or -1, jumping from quote to
 * quote (an escaped quote is one preceded by an odd run of backslashes).
 * @since 0.1.0
 */
export const jumpJsonString = (bytes: Uint8Array, i: number): number => {
  let from = i + 1
  for (;;) {
    const quote = (bytes as Buffer).indexOf(QUOTE, from)
    if (quote === -1) return -1
    let slashes = 0
    for (let b = quote - 1; b > i && bytes[b] === BACKSLASH; b--) slashes++
    if ((slashes & 1) === 0) return quote + 1
    from = quote + 1
  }
}

const isScalarByte = (c: number | undefined): boolean =>
  c !== undefined &&
  ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a))

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39

const TRUE = [0x74, 0x72, 0x75, 0x65] as const
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65] as const
const NULL = [0x6e, 0x75, 0x6c, 0x6c] as const

const skipWord = (bytes: Uint8Array, i: number, word: ReadonlyArray<number>): number => {
  for (let k = 0; k < word.length; k++) if (bytes[i + k] !== word[k]) return -1
  return i + word.length
}

/** End of the number at `i` (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`), or -1. */
const skipNumber = (bytes: Uint8Array, i: number): number => {
  let j = i
  if (bytes[j] === 0x2d) j++
  if (bytes[j] === 0x30) j++
  else if (isDigit(bytes[j])) { while (isDigit(bytes[j])) j++ }
  else return -1
  if (bytes[j] === 0x2e) {
    j++
    if (!isDigit(bytes[j])) return -1
    while (isDigit(bytes[j])) j++
  }
  if (bytes[j] === 0x65 || bytes[j] === 0x45) {
    j++
    if (bytes[j] === 0x2b || bytes[j] === 0x2d) j++
    if (!isDigit(bytes[j])) return -1
    while (isDigit(bytes[j])) j++
  }
  return j
}

/** A literal or a number, which must not run on into letters or digits (`12ab`, `nullx`). */
const skipScalar = (bytes: Uint8Array, i: number): number => {
  const c = bytes[i]
  const end = c === 0x74
    ? skipWord(bytes, i, TRUE)
    : c === 0x66
    ? skipWord(bytes, i, FALSE)
    : c === 0x6e
    ? skipWord(bytes, i, NULL)
    : skipNumber(bytes, i)
  return end === -1 || isScalarByte(bytes[end]) ? -1 : end
}

const IN_OBJECT = 1
const IN_ARRAY = 2

/** @since 0.1.0 */
export type SkipStrength = "exact" | "structural"

/**
 * Index just past the JSON value starting at `i` (white space allowed before it), or -1
 * when the bytes there are not one JSON value. `bytes` must be a Buffer for `structural`.
 * @since 0.1.0
 */
export const skipJsonValue = (bytes: Uint8Array, i: number, strength: SkipStrength = "exact"): number => {
  const skipString = strength === "exact" ? skipJsonString : jumpJsonString
  const stack: Array<number> = []
  let expectKey = false
  for (;;) {
    // A value (or, inside an object, a key and its colon first).
    i = skipJsonSpace(bytes, i)
    if (expectKey) {
      if (bytes[i] !== QUOTE) return -1
      i = skipString(bytes, i)
      if (i === -1) return -1
      i = skipJsonSpace(bytes, i)
      if (bytes[i] !== COLON) return -1
      i = skipJsonSpace(bytes, i + 1)
    }
    const c = bytes[i]
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const inner = skipJsonSpace(bytes, i + 1)
      if (bytes[inner] === (c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
        i = inner + 1
      } else {
        stack.push(c === OPEN_BRACE ? IN_OBJECT : IN_ARRAY)
        expectKey = c === OPEN_BRACE
        i = inner
        continue
      }
    } else if (c === QUOTE) {
      i = skipString(bytes, i)
      if (i === -1) return -1
    } else {
      if (c === undefined) return -1
      i = skipScalar(bytes, i)
      if (i === -1) return -1
    }
    // After a value: close containers or move to the next member.
    for (;;) {
      if (stack.length === 0) return i
      i = skipJsonSpace(bytes, i)
      const top = stack[stack.length - 1]
      const next = bytes[i]
      if (next === COMMA) {
        i++
        expectKey = top === IN_OBJECT
        break
      }
      if (next === (top === IN_OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) {
        stack.pop()
        i++
        continue
      }
      return -1
    }
  }
}
