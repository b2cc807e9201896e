import { describe, expect, it } from "vitest"
import { formatTimestamp, parseTimestampMs } from "../../src/domain/Timestamp.js"

const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0) =>
  Date.UTC(y, mo - 1, d, h, mi, s, ms)

describe("parseTimestampMs", () => {
  it("reads the writer's form, with or without a fraction of any length", () => {
    expect(parseTimestampMs("2024-03-05T06:07:08Z")).toBe(utc(2024, 3, 5, 6, 7, 8))
    expect(parseTimestampMs("2024-03-05T06:07:08.123Z")).toBe(utc(2024, 3, 5, 6, 7, 8, 123))
    expect(parseTimestampMs("2024-03-05T06:07:08.1Z")).toBe(utc(2024, 3, 5, 6, 7, 8, 100))
    expect(parseTimestampMs("2024-03-05T06:07:08.12Z")).toBe(utc(2024, 3, 5, 6, 7, 8, 120))
    expect(parseTimestampMs("2024-03-05T06:07:08.123456Z")).toBe(utc(2024, 3, 5, 6, 7, 8, 123))
    expect(parseTimestampMs("1999-12-31T23:59:59.999Z")).toBe(utc(1999, 12, 31, 23, 59, 59, 999))
  })

  it("accepts a leap second, which Date.parse refuses, as the next minute", () => {
    expect(Date.parse("2016-12-31T23:59:60Z")).toBeNaN()
    expect(parseTimestampMs("2016-12-31T23:59:60Z")).toBe(utc(2017, 1, 1, 0, 0, 0))
    // Where only the writer's form can read it, each field's lowest value and the fraction count.
    expect(parseTimestampMs("2017-01-01T00:00:60Z")).toBe(utc(2017, 1, 1, 0, 1, 0))
    expect(parseTimestampMs("2016-12-31T23:59:60.5Z")).toBe(utc(2017, 1, 1, 0, 0, 0, 500))
    expect(parseTimestampMs("2016-12-31T23:59:60.000Z")).toBe(utc(2017, 1, 1, 0, 0, 0))
    expect(parseTimestampMs("2016-12-31T23:59:60.0009Z")).toBe(utc(2017, 1, 1, 0, 0, 0))
  })

  it("the writer's form needs its T and its Z: a leap second without them is no time", () => {
    for (const text of ["2016-12-31 23:59:60Z", "2016-12-31T23:59:60.5X", "2016-12-31T23:59:60.x5Z"]) {
      expect(parseTimestampMs(text), text).toBeUndefined()
    }
  })

  it("other forms go to Date.parse only with a full date first and a zone last", () => {
    expect(Date.parse("2024-03-5 06:07:08Z")).not.toBeNaN()
    expect(parseTimestampMs("2024-03-5 06:07:08Z")).toBeUndefined()
    expect(Date.parse("2024-03-05 06:07:08 +0100 (CET)")).not.toBeNaN()
    expect(parseTimestampMs("2024-03-05 06:07:08 +0100 (CET)")).toBeUndefined()
    expect(parseTimestampMs("2024-03-05 06:07:08+01:00")).toBe(utc(2024, 3, 5, 5, 7, 8))
  })

  it("refuses fields out of range instead of rolling them over", () => {
    for (
      const text of [
        "2024-13-05T06:07:08Z",
        "2024-00-05T06:07:08Z",
        "2024-03-00T06:07:08Z",
        "2024-03-32T06:07:08Z",
        "2024-03-05T25:07:08Z",
        "2024-03-05T06:60:08Z",
        "2024-03-05T06:07:61Z"
      ]
    ) expect(parseTimestampMs(text), text).toBeUndefined()
  })

  it("refuses digits that are not digits, on either side of the digit range", () => {
    for (
      const text of [
        "20/4-03-05T06:07:08Z",
        "20:4-03-05T06:07:08Z",
        "2024-0/-05T06:07:08Z",
        "2024-03-0:T06:07:08Z",
        "2024-03-05T0/:07:08Z",
        "2024-03-05T06:0::08Z",
        "2024-03-05T06:07:0/Z",
        "2024-03-05T06x07:08Z",
        "2024-03-05T06:07x08Z",
        "2024-03-05T06:07:08,123Z",
        "2024-03-05T06:07:08.12aZ",
        "2024-03-05T06:07:08.1234a6Z"
      ]
    ) expect(parseTimestampMs(text), text).toBeUndefined()
  })

  it("reads the file-name form as UTC", () => {
    expect(parseTimestampMs("2024-03-05T06-07-08")).toBe(utc(2024, 3, 5, 6, 7, 8))
    expect(parseTimestampMs("x2024-03-05T06-07-08")).toBeUndefined()
    expect(parseTimestampMs("2024-03-05T06-07-08x")).toBeUndefined()
  })

  it("reads other ISO forms only when they carry a zone", () => {
    expect(parseTimestampMs("2024-03-05T06:07:08+02:00")).toBe(utc(2024, 3, 5, 4, 7, 8))
    expect(parseTimestampMs("2024-03-05T06:07:08-0130")).toBe(utc(2024, 3, 5, 7, 37, 8))
    expect(parseTimestampMs("2024-03-05T06:07Z")).toBe(utc(2024, 3, 5, 6, 7, 0))
    expect(parseTimestampMs("2024-03-05T06:07:08")).toBeUndefined()
    expect(parseTimestampMs("2024-03-05")).toBeUndefined()
    expect(parseTimestampMs("2024-03-05T06:07:08+02:00 and more")).toBeUndefined()
    expect(parseTimestampMs("Tue, 05 Mar 2024 06:07:08 Z")).toBeUndefined()
    expect(parseTimestampMs("2024-03-05Tnonsense+02:00")).toBeUndefined()
    expect(parseTimestampMs("")).toBeUndefined()
    expect(parseTimestampMs("not a time at all, Z")).toBeUndefined()
  })
})

describe("formatTimestamp", () => {
  it("writes ISO-8601 UTC with milliseconds, which parses back", () => {
    expect(formatTimestamp(0)).toBe("1970-01-01T00:00:00.000Z")
    const ms = utc(2024, 3, 5, 6, 7, 8, 9)
    expect(formatTimestamp(ms)).toBe("2024-03-05T06:07:08.009Z")
    expect(parseTimestampMs(formatTimestamp(ms))).toBe(ms)
  })
})
