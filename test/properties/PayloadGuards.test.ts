import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Schema, type SchemaAST } from "effect"
import * as Item from "../../src/domain/RolloutItem.js"
import { runs } from "../fixtures/arbitraries.js"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** A value a JSON line could hold: anything JSON gives (numbers beyond the finite ones cannot be written). */
const jsonArb: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(
    null,
    [],
    {},
    "",
    0,
    -0,
    1e308,
    true,
    "token_count",
    "user_message",
    "task_started",
    "turn_aborted"
  )
)

/**
 * Values shaped by a schema with a fault anywhere: at every node, now and then, any JSON
 * value instead of the declared one; optional members present or not, and extra members.
 */
const nearMiss = (ast: SchemaAST.AST, faults = true): fc.Arbitrary<Json | undefined> => {
  const shaped = ((): fc.Arbitrary<Json | undefined> => {
    switch (ast._tag) {
      case "TypeLiteral": {
        if (ast.indexSignatures.length > 0) return fc.dictionary(fc.string({ maxLength: 4 }), jsonArb, { maxKeys: 3 })
        const members = ast.propertySignatures.map((p) =>
          fc.tuple(
            fc.constant(String(p.name)),
            p.isOptional && faults ? fc.option(nearMiss(p.type), { nil: undefined, freq: 4 }) : nearMiss(p.type, faults)
          )
        )
        return fc.tuple(fc.tuple(...members), fc.dictionary(fc.string({ maxLength: 4 }), jsonArb, { maxKeys: 1 }))
          .map(([pairs, extra]) => {
            const object: Record<string, Json> = { ...extra }
            for (const [name, value] of pairs) if (value !== undefined) object[name] = value
            return object
          })
      }
      case "Union": {
        // An optional member's `undefined` is covered by leaving the member out.
        const types = ast.types.filter((t) => t._tag !== "UndefinedKeyword")
        return types.length === 0 ? fc.constant(undefined) : fc.oneof(...types.map((t) => nearMiss(t, faults)))
      }
      case "Refinement":
        return nearMiss(ast.from, faults)
      case "Literal":
        return fc.constant(ast.literal as Json)
      case "StringKeyword":
        return fc.string({ maxLength: 6 })
      case "NumberKeyword":
        return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))
      case "BooleanKeyword":
        return fc.boolean()
      case "UndefinedKeyword":
        return fc.constant(undefined)
      case "TupleType":
        return fc.array(ast.rest.length > 0 ? nearMiss(ast.rest[0]!.type, faults) : jsonArb, { maxLength: 3 })
          .map((xs) => xs.map((x) => x ?? null))
      default:
        return jsonArb
    }
  })()
  return faults ? fc.oneof({ weight: 3, arbitrary: shaped }, { weight: 1, arbitrary: jsonArb }) : shaped
}

// `Array.isArray` narrows a readonly array to `any[]`; this keeps the element type.
const isJsonArray = (value: Json): value is ReadonlyArray<Json> => Array.isArray(value)

const FAULTS: ReadonlyArray<Json | undefined> = [undefined, null, [], {}, "", "x", 0, -1.5, true, [1], { type: 1 }]

/** `value` with the node at `path` replaced by `fault` (`undefined`: the member removed). */
const replaceAt = (value: Json, path: ReadonlyArray<string | number>, fault: Json | undefined): Json | undefined => {
  if (path.length === 0) return fault
  const [step, ...rest] = path as [string | number, ...Array<string | number>]
  if (isJsonArray(value)) {
    return value.map((v, i) => (i === step ? replaceAt(v, rest, fault) ?? null : v))
  }
  const copy: Record<string, Json> = { ...(value as Record<string, Json>) }
  const replaced = replaceAt(copy[step]!, rest, fault)
  if (replaced === undefined) delete copy[step]
  else copy[step] = replaced
  return copy
}

/** The path of every node of a JSON value, the root first. */
const nodePaths = (value: Json, at: ReadonlyArray<string | number> = []): Array<ReadonlyArray<string | number>> => {
  if (value === null || typeof value !== "object") return [at]
  const children = isJsonArray(value)
    ? value.flatMap((v, i) => nodePaths(v, [...at, i]))
    : Object.entries(value).flatMap(([k, v]) => nodePaths(v, [...at, k]))
  return [at, ...children]
}

/** Valid payloads (from the schema's own arbitrary) and near misses at any depth. */
const casesOf = <A, I>(schema: Schema.Schema<A, I>) =>
  fc.oneof(Arbitrary.make(schema) as fc.Arbitrary<unknown>, nearMiss(schema.ast))
    .map((v) => (v === undefined ? null : JSON.parse(JSON.stringify(v))) as Json)

const cases = [
  { name: "turn context", schema: Item.TurnContext, guard: Item.payloadGuards.turnContext },
  { name: "user message", schema: Item.UserMessage, guard: Item.payloadGuards.userMessage },
  { name: "token count", schema: Item.TokenCount, guard: Item.payloadGuards.tokenCount },
  { name: "thread name", schema: Item.ThreadNameUpdated, guard: Item.payloadGuards.threadNameUpdated },
  { name: "turn started", schema: Item.TurnStarted, guard: Item.payloadGuards.turnStarted },
  { name: "turn ended", schema: Item.TurnEnded, guard: Item.payloadGuards.turnEnded },
  { name: "other event", schema: Item.OtherEvent, guard: Item.payloadGuards.otherEvent },
  { name: "response item", schema: Item.ResponseItemPayload, guard: Item.payloadGuards.responseItem },
  { name: "compacted", schema: Item.CompactedPayload, guard: Item.payloadGuards.compacted }
] as const

describe("payload guards", () => {
  for (const { guard, name, schema } of cases) {
    it(`the ${name} guard agrees with Schema.is on every single fault of a payload with every member present`, () => {
      const is = Schema.is(schema as Schema.Schema<unknown, unknown>)
      const full = nearMiss(schema.ast, false).map((v) => JSON.parse(JSON.stringify(v ?? null)) as Json)
      fc.assert(
        fc.property(full, (value) => {
          expect(guard(value)).toBe(is(value))
          for (const path of nodePaths(value)) {
            for (const fault of FAULTS) {
              const faulty = replaceAt(value, path, fault) ?? null
              expect([path, fault, guard(faulty)]).toEqual([path, fault, is(faulty)])
            }
          }
        }),
        { numRuns: runs(200) }
      )
    })

    it(`the ${name} guard agrees with Schema.is on random payloads with faults at any depth`, () => {
      const is = Schema.is(schema as Schema.Schema<unknown, unknown>)
      fc.assert(
        fc.property(casesOf(schema as Schema.Schema<unknown, unknown>), (value) => {
          expect(guard(value)).toBe(is(value))
        }),
        { numRuns: runs(3000) }
      )
    })
  }

  it("an event named like an Object.prototype member is an unknown event, not a crash", () => {
    for (const type of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const line = JSON.parse(`{"type":"event_msg","payload":{"type":${JSON.stringify(type)},"n":1}}`) as {
        payload: unknown
      }
      expect(Item.decodeRolloutItem(line)).toEqual(Either.right({ type: "event_msg", payload: line.payload }))
    }
  })
})
