import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import { HostId, hostIdFromHostname, MAX_HOST_ID_LENGTH, parseHostId } from "../../src/domain/HostId.js"

const reason = (input: string) => Either.flip(parseHostId(input))

describe("HostId", () => {
  it("accepts host names, FQDNs and ids with spaces or non-ASCII letters inside", () => {
    for (const id of ["build-01", "app.example.com", "Host A", "hôte", "x".repeat(MAX_HOST_ID_LENGTH)]) {
      expect(parseHostId(id)).toEqual(Either.right(id))
      expect(Schema.is(HostId)(id)).toBe(true)
    }
  })

  it("refuses an empty, too long, slashed, unprintable or space-padded id, saying why", () => {
    expect(reason("")).toEqual(Either.right("\"\" is empty"))
    expect(reason("x".repeat(MAX_HOST_ID_LENGTH + 1))).toEqual(
      Either.right(`"${"x".repeat(80)}…" is longer than 128 characters`)
    )
    expect(reason("a/b")).toEqual(Either.right("\"a/b\" contains a /"))
    expect(reason("a\u0000b")).toEqual(Either.right("\"a\\u0000b\" contains a character that is not printable"))
    expect(reason("a\u200eb")).toEqual(Either.right("\"a\u200eb\" contains a character that is not printable"))
    expect(reason(" a")).toEqual(Either.right("\" a\" starts or ends with white space"))
    expect(Schema.is(HostId)("a/b")).toBe(false)
  })

  it("counts characters, not UTF-16 units: 128 astral characters are an id", () => {
    expect(Either.isRight(parseHostId("😀".repeat(MAX_HOST_ID_LENGTH)))).toBe(true)
    expect(Either.isRight(parseHostId("😀".repeat(MAX_HOST_ID_LENGTH + 1)))).toBe(false)
  })

  it("a host name is normalized: case, trailing dot, slashes and control characters", () => {
    expect(hostIdFromHostname("Build-01.Example.COM.")).toBe("build-01.example.com")
    expect(hostIdFromHostname("  a/b\tc ")).toBe("a-b-c")
    expect(hostIdFromHostname("")).toBeUndefined()
    expect(hostIdFromHostname("...")).toBeUndefined()
    expect(hostIdFromHostname("y".repeat(300))).toBe("y".repeat(MAX_HOST_ID_LENGTH))
  })

  it("whatever the host name, the derived id is valid or there is none", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme-composite", maxLength: 200 }), (name) => {
      const id = hostIdFromHostname(name)
      expect(id === undefined || Either.isRight(parseHostId(id))).toBe(true)
      expect(id === undefined || hostIdFromHostname(id) === id).toBe(true)
    }))
  })
})
