import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Schema } from "effect"
import { THREAD_COLUMNS, ThreadRow, threadRowsOf } from "../../src/projections/ThreadsProjection.js"
import { runs } from "../fixtures/arbitraries.js"

const decode = Schema.decodeUnknownEither(ThreadRow)
const valuesOf = (row: Record<string, unknown>) => THREAD_COLUMNS.map((c) => row[c])
const wrongValue = fc.constantFrom<unknown>(null, "", "0", 0, 1.5, true, undefined, {}, [], 1n)

describe("ThreadsProjection", () => {
  it("reads thread rows from value arrays exactly as decoding the ThreadRow schema does", () => {
    fc.assert(
      fc.property(Arbitrary.make(ThreadRow), (row) => {
        expect(threadRowsOf([valuesOf(row)])).toEqual([row])
      }),
      { numRuns: runs(200) }
    )
  })

  it("rejects a row with any one value of the wrong type, as decoding does", () => {
    fc.assert(
      fc.property(Arbitrary.make(ThreadRow), fc.nat(THREAD_COLUMNS.length - 1), wrongValue, (row, index, value) => {
        const values = valuesOf(row)
        values[index] = value
        const decoded = decode(Object.fromEntries(THREAD_COLUMNS.map((c, i) => [c, values[i]])))
        let read: Either.Either<unknown, unknown>
        try {
          read = Either.right(threadRowsOf([values]))
        } catch (error) {
          read = Either.left(error)
        }
        expect(Either.isLeft(read)).toBe(Either.isLeft(decoded))
      }),
      { numRuns: runs(300) }
    )
  })
})
