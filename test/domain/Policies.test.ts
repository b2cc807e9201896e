import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { compactJson, isPlainObject, Json } from "../../src/domain/Json.js"
import {
  approvalColumn,
  ApprovalPolicy,
  policyColumn,
  ReasoningEffort,
  SandboxPolicy
} from "../../src/domain/Policies.js"

describe("policies", () => {
  it("stores a tagged policy holding only its tag as the tag, anything else as compact JSON", () => {
    expect(policyColumn("read-only")).toBe("read-only")
    expect(policyColumn({ type: "read-only" })).toBe("read-only")
    expect(policyColumn({ mode: "workspace-write" })).toBe("workspace-write")
    expect(policyColumn({ type: "workspace-write", network_access: true })).toBe(
      `{"type":"workspace-write","network_access":true}`
    )
    expect(policyColumn({ type: 3 })).toBe(`{"type":3}`)
    expect(policyColumn({ other: "x" })).toBe(`{"other":"x"}`)
    expect(policyColumn({})).toBe("{}")
  })

  it("stores an approval policy as its string, or an object as compact JSON", () => {
    expect(approvalColumn("on-request")).toBe("on-request")
    expect(approvalColumn("some-future-mode")).toBe("some-future-mode")
    expect(approvalColumn({ granular: { a: 1 } })).toBe(`{"granular":{"a":1}}`)
  })

  it("decodes the policies and efforts turn contexts carry, known or not", () => {
    expect(Schema.is(SandboxPolicy)({ type: "read-only" })).toBe(true)
    expect(Schema.is(SandboxPolicy)(3)).toBe(false)
    expect(Schema.is(ApprovalPolicy)("never")).toBe(true)
    expect(Schema.is(ApprovalPolicy)([])).toBe(false)
    expect(Schema.is(ReasoningEffort)("xhigh")).toBe(true)
    expect(Schema.is(ReasoningEffort)(1)).toBe(false)
  })
})

describe("JSON values", () => {
  it("decodes any JSON value as is and refuses what JSON cannot hold", () => {
    const value = { a: [1, "b", true, null, { c: -2.5 }] }
    expect(Schema.decodeUnknownSync(Json)(value)).toEqual(value)
    expect(Schema.is(Json)(Number.POSITIVE_INFINITY)).toBe(false)
    expect(Schema.is(Json)({ a: undefined })).toBe(false)
    expect(Schema.is(Json)([() => 1])).toBe(false)
  })

  it("tells plain objects from arrays and null, and writes compact JSON", () => {
    expect(isPlainObject({})).toBe(true)
    expect(isPlainObject([])).toBe(false)
    expect(isPlainObject(null)).toBe(false)
    expect(isPlainObject("x")).toBe(false)
    expect(compactJson({ a: [1, { b: 2 }] })).toBe(`{"a":[1,{"b":2}]}`)
  })
})
