import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeCursor, encodeCursor, precedes } from "../../src/domain/PageCursor.js"

describe("keyset order", () => {
  it("orders by time, then by id, in either direction, and a position never precedes itself", () => {
    const a = { sortMs: 1, id: "b" }
    const later = { sortMs: 2, id: "a" }
    const tie = { sortMs: 1, id: "c" }
    expect(precedes(a, later, "asc")).toBe(true)
    expect(precedes(later, a, "asc")).toBe(false)
    expect(precedes(a, later, "desc")).toBe(false)
    expect(precedes(later, a, "desc")).toBe(true)
    expect(precedes(a, tie, "asc")).toBe(true)
    expect(precedes(tie, a, "asc")).toBe(false)
    expect(precedes(a, tie, "desc")).toBe(false)
    expect(precedes(tie, a, "desc")).toBe(true)
    expect(precedes(a, { ...a }, "asc")).toBe(false)
    expect(precedes(a, { ...a }, "desc")).toBe(false)
    // The same id at another time is another position.
    expect(precedes({ sortMs: 2, id: "x" }, { sortMs: 1, id: "x" }, "desc")).toBe(true)
    // A smaller id at a later time still comes after.
    expect(precedes({ sortMs: 1, id: "z" }, { sortMs: 2, id: "a" }, "asc")).toBe(true)
    expect(precedes({ sortMs: 2, id: "a" }, { sortMs: 1, id: "z" }, "desc")).toBe(true)
  })

  it("refuses a cursor for another sort, naming both, and one that is not base64url JSON of a position", () => {
    const cursor = encodeCursor("updated_at", { sortMs: 5, id: "x" })
    const refused = decodeCursor("created_at", cursor)
    expect(Either.isLeft(refused) && refused.left.reason).toBe("made for sort updated_at, not created_at")
    const notPosition = Buffer.from(JSON.stringify(["created_at", 1.5, "x"])).toString("base64url")
    const bad = decodeCursor("created_at", notPosition)
    expect(Either.isLeft(bad) && bad.left.reason).toBe("not a cursor this engine made")
    const padded = decodeCursor("created_at", `${encodeCursor("created_at", { sortMs: 5, id: "x" })}=`)
    expect(Either.isLeft(padded) && padded.left.reason).toBe("not a cursor this engine made")
    const valid = encodeCursor("created_at", { sortMs: 5, id: "x" })
    expect(decodeCursor("created_at", `%${valid}`)).toMatchObject({
      _tag: "Left",
      left: { reason: "not a cursor this engine made" }
    })
    const shown = (cursor: string) => {
      const refused = decodeCursor("created_at", cursor)
      return Either.isLeft(refused) ? refused.left.message : "accepted"
    }
    expect(shown("!".repeat(32))).toBe(`invalid cursor "${"!".repeat(32)}": not a cursor this engine made`)
    expect(shown("!".repeat(33))).toBe(
      `invalid cursor "${"!".repeat(32)}"… (33 characters): not a cursor this engine made`
    )
    expect(decodeCursor("created_at", "x".repeat(512))).toMatchObject({
      _tag: "Left",
      left: { reason: "not a cursor this engine made" }
    })
    expect(decodeCursor("created_at", "x".repeat(513))).toMatchObject({
      _tag: "Left",
      left: { reason: "longer than 512 characters" }
    })
  })
})
