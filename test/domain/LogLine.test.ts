import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  atLeast,
  feedbackLine,
  formatTimestamp,
  joinLines,
  keepNewestWithin,
  levelColumn,
  lineBytes,
  LOG_LEVELS,
  MAX_TS,
  messageText,
  MIN_LINE_BYTES,
  parseLevel,
  quoteValue,
  renderBody
} from "../../src/domain/LogLine.js"
import { runs } from "../fixtures/arbitraries.js"

const utf8 = (s: string) => Buffer.byteLength(s, "utf8")
const text = fc.string({ unit: "grapheme", maxLength: 40 })
const lines = fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 30 })), {
  maxLength: 30
})

describe("LogLine", () => {
  it("renders a feedback line as the reference does: microseconds, the level right-aligned in 5, the body, one newline", () => {
    expect(feedbackLine({ ts: 1, tsNanos: 123_456_789, level: "INFO", body: "alpha" }))
      .toBe("1970-01-01T00:00:01.123456Z  INFO alpha\n")
    expect(feedbackLine({ ts: 1_700_000_000, tsNanos: 1_234_567, level: "WARN", body: "disk low free=3%" }))
      .toBe("2023-11-14T22:13:20.001234Z  WARN disk low free=3%\n")
    expect(feedbackLine({ ts: 0, tsNanos: 0, level: "ERROR", body: "ends\n" })).toBe(
      "1970-01-01T00:00:00.000000Z ERROR ends\n"
    )
    // A stored level in lower case shows as the level it is.
    expect(feedbackLine({ ts: 0, tsNanos: 999, level: "warn", body: "" })).toBe("1970-01-01T00:00:00.000000Z  WARN \n")
    expect(formatTimestamp(MAX_TS, 999_999_999)).toBe("9999-12-31T23:59:59.999999Z")
    expect(levelColumn("TRACE")).toBe("TRACE")
    expect(levelColumn("NOTICE")).toBe("NOTICE")
  })

  it("a level filter keeps that level and every more severe one; levels parse in any case, warning as WARN", () => {
    expect(atLeast("WARN")).toEqual(["WARN", "ERROR", "FATAL"])
    expect(atLeast("TRACE")).toEqual(LOG_LEVELS)
    expect(atLeast("FATAL")).toEqual(["FATAL"])
    expect([parseLevel("info"), parseLevel("Warning"), parseLevel(" ERROR "), parseLevel("loud")]).toEqual([
      "INFO",
      "WARN",
      "ERROR",
      undefined
    ])
  })

  it("property: lineBytes is the UTF-8 size of the feedback line with its newline, never under MIN_LINE_BYTES", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_TS }),
        fc.integer({ min: 0, max: 999_999_999 }),
        fc.oneof(fc.constantFrom(...LOG_LEVELS), fc.constantFrom(...LOG_LEVELS).map((l) => l.toLowerCase())),
        fc.oneof(text, fc.string({ unit: "binary", maxLength: 40 }), text.map((t) => `${t}\n`)),
        (ts, tsNanos, level, body) => {
          const size = lineBytes(level, body)
          const line = feedbackLine({ ts, tsNanos, level, body })
          expect(size).toBe(utf8(line))
          expect(line.endsWith("\n") && !line.endsWith("\n\n") || body.endsWith("\n\n")).toBe(true)
          expect(size).toBeGreaterThanOrEqual(MIN_LINE_BYTES)
        }
      ),
      { numRuns: runs(300) }
    )
  })

  it("property: the cap keeps the newest whole lines that fit, with no gap, oldest first", () => {
    fc.assert(
      fc.property(
        lines.map((ls) => ls.map((l) => `${l}\n`)),
        fc.integer({ min: 0, max: 400 }),
        (newestFirst, maxBytes) => {
          const kept = keepNewestWithin(newestFirst, maxBytes)
          const out = joinLines(kept)
          expect(utf8(out)).toBeLessThanOrEqual(maxBytes)
          // The newest lines, whole, reversed to oldest first.
          expect(kept).toEqual(newestFirst.slice(0, kept.length).reverse())
          // Maximal: the next newest line would not have fitted.
          const next = newestFirst[kept.length]
          if (next !== undefined) expect(utf8(out) + utf8(next)).toBeGreaterThan(maxBytes)
        }
      ),
      { numRuns: runs(300) }
    )
  })

  it("a cap smaller than the newest line keeps nothing, even when older lines are short", () => {
    expect(keepNewestWithin(["a long newest line\n", "x\n"], 5)).toEqual([])
    expect(joinLines([])).toBe("")
    expect(joinLines(["é\n", "b\n"])).toBe("é\nb\n")
  })

  it("a body is the message, then spans with their elapsed time, then fields, then the cause, logfmt-quoted", () => {
    expect(renderBody({
      message: "applied batch",
      spans: [["fold file", 12]],
      fields: [["files", "3"], ["cwd", "/my work"], ["empty", ""]],
      cause: "Error: boom\n    at x"
    })).toBe(`applied batch fold_file=12ms files=3 cwd="/my work" empty="" cause="Error: boom\\n    at x"`)
    expect(renderBody({ message: "", spans: [], fields: [["k", "v"]] })).toBe("k=v")
    expect(renderBody({ message: "only", spans: [], fields: [], cause: "" })).toBe("only")
  })

  it("property: a quoted field value reads back as the value, and a body holds no newline its message does not", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 10 }),
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 5 }), fc.string({ unit: "binary", maxLength: 20 })), {
          maxLength: 4
        }),
        (message, fields) => {
          const singleLine = message.replace(/[\n\r\u2028\u2029]/g, " ")
          const body = renderBody({ message: singleLine, spans: [], fields })
          expect(body).not.toMatch(/[\n\r]/)
          for (const [, value] of fields) {
            const quoted = quoteValue(value)
            expect(quoted.startsWith("\"") ? JSON.parse(quoted) : quoted).toBe(value)
          }
        }
      ),
      { numRuns: runs(300) }
    )
  })

  it("a message of several parts is joined by spaces, non-strings as compact JSON", () => {
    expect(messageText("plain")).toBe("plain")
    expect(messageText(["files", 3, { a: [1, 2] }, null])).toBe(`files 3 {"a":[1,2]} null`)
    expect(messageText([])).toBe("")
  })
})
