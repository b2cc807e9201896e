import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { skipJsonSpace, skipJsonValue } from "../../src/infra/rollout/JsonSkip.js"
import { runs } from "../fixtures/arbitraries.js"

const parses = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** Valid JSON with random damage: cuts, splices and single-byte edits. */
const almostJson = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.tuple(fc.jsonValue().map((v) => JSON.stringify(v)), fc.nat(), fc.nat(), fc.string({ maxLength: 3 }))
    .map(([text, at, cut, insert]) => {
      const i = text.length === 0 ? 0 : at % text.length
      return text.slice(0, i) + insert + text.slice(i + (cut % 3))
    }),
  fc.string({
    unit: fc.constantFrom("{", "}", "[", "]", "\"", "\\", ",", ":", "1", "-", "e", "t", "n", " ", "u", "\t", "\u0001")
  })
)

describe("JSON skipping", () => {
  it("the exact skipper accepts a whole text exactly when JSON.parse does", () => {
    fc.assert(
      fc.property(almostJson, (text) => {
        const bytes = Buffer.from(text)
        const end = skipJsonValue(bytes, 0, "exact")
        expect(end !== -1 && skipJsonSpace(bytes, end) === bytes.length).toBe(parses(text))
      }),
      { numRuns: runs(3000) }
    )
  })

  it("the structural skipper accepts everything JSON.parse accepts and rejects cut or unbalanced values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, at) => {
        const bytes = Buffer.from(JSON.stringify(value))
        expect(skipJsonValue(bytes, 0, "structural")).toBe(bytes.length)
        const cut = at % bytes.length
        // A strict prefix of one JSON value is never a whole value (a bare number aside).
        if (cut > 0 && typeof value !== "number") {
          expect(skipJsonValue(bytes.subarray(0, cut), 0, "structural")).not.toBe(cut)
        }
      }),
      { numRuns: runs(3000) }
    )
  })
})
