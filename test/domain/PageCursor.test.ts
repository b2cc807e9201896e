import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeCursor, encodeCursor, InvalidCursor, MAX_CURSOR_CHARS } from "../../src/domain/PageCursor.js"

const refused = (cursor: string) => {
  const decoded = decodeCursor("created_at", cursor)
  if (Either.isRight(decoded)) throw new Error(`accepted ${cursor.slice(0, 40)}`)
  return decoded.left
}

describe("PageCursor", () => {
  it("refuses a cursor longer than any it makes before decoding it, and never echoes a huge one whole", () => {
    const huge = "A".repeat(1_000_000)
    const error = refused(huge)
    expect(error).toBeInstanceOf(InvalidCursor)
    expect(error.reason).toBe(`longer than ${MAX_CURSOR_CHARS} characters`)
    expect(error.message.length).toBeLessThan(120)
    expect(error.message).toBe(
      `invalid cursor "${"A".repeat(32)}"… (1000000 characters): longer than ${MAX_CURSOR_CHARS} characters`
    )
  })

  it("shows a short invalid cursor whole and a longer one by its first 32 characters", () => {
    expect(refused("not a cursor!").message).toBe("invalid cursor \"not a cursor!\": not a cursor this engine made")
    const long = "B".repeat(100)
    expect(refused(long).message).toBe(
      `invalid cursor "${"B".repeat(32)}"… (100 characters): not a cursor this engine made`
    )
  })

  it("still decodes every cursor it makes", () => {
    const position = { sortMs: 1_780_871_683_844, id: "019ea439-5f04-7f57-962d-815ed782d47f" }
    const cursor = encodeCursor("created_at", position)
    expect(cursor.length).toBeLessThan(MAX_CURSOR_CHARS)
    expect(decodeCursor("created_at", cursor)).toEqual(Either.right(position))
  })
})
