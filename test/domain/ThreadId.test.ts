import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { isThreadId, parseThreadId, ThreadId } from "../../src/domain/ThreadId.js"

const ID = "019ea439-5f04-7f57-962d-815ed782d47f"

describe("thread ids", () => {
  it("accepts lowercase UUIDs only, whole", () => {
    expect(isThreadId(ID)).toBe(true)
    for (
      const bad of [ID.toUpperCase(), ` ${ID}`, `${ID} `, `${ID}\n`, ID.replace(/-/g, ""), "../x", "", 7, null, [ID], {
        toString: () => ID
      }]
    ) {
      expect(isThreadId(bad), String(bad)).toBe(false)
    }
    expect(Schema.is(ThreadId)(ID)).toBe(true)
    expect(Schema.is(ThreadId)(`x${ID}`)).toBe(false)
    expect(Schema.is(ThreadId)(`${ID}x`)).toBe(false)
  })

  it("says why an id is refused, quoting it and cutting a long one at 80 characters", () => {
    expect(parseThreadId(ID)).toEqual(Either.right(ID))
    expect(parseThreadId("a/b")).toEqual(Either.left(`"a/b" is not a UUID in lowercase hex with dashes`))
    expect(parseThreadId("a\u0000")).toEqual(Either.left(`"a\\u0000" is not a UUID in lowercase hex with dashes`))
    expect(parseThreadId(42)).toEqual(Either.left("number is not a UUID in lowercase hex with dashes"))
    const eighty = "x".repeat(80)
    expect(parseThreadId(eighty)).toEqual(Either.left(`"${eighty}" is not a UUID in lowercase hex with dashes`))
    expect(parseThreadId(`${eighty}y`)).toEqual(Either.left(`"${eighty}…" is not a UUID in lowercase hex with dashes`))
  })
})
