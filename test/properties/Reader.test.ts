import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { encodeRolloutLine } from "../../src/domain/RolloutItem.js"
import { applyAll, initial } from "../../src/domain/ThreadFold.js"
import { MESSAGE_KINDS } from "../../src/domain/ThreadMessages.js"
import type { FramingEnd } from "../../src/infra/rollout/LineFramer.js"
import { foldRolloutFile } from "../../src/infra/rollout/RolloutFold.js"
import { type ReadOptions, readRolloutBatches, type RolloutEntry } from "../../src/infra/rollout/RolloutReader.js"
import { itemArb, itemsArb, runs, THREAD_IDS, viaJson } from "../fixtures/arbitraries.js"

const dir = mkdtempSync(join(tmpdir(), "reader-props-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let fileCount = 0
const freshFile = () => join(dir, `rollout-2025-06-01T00-00-00-${THREAD_IDS[0]}_${fileCount++}.jsonl`)

const readAll = (file: string, options: ReadOptions = {}): Promise<Array<RolloutEntry>> => {
  const entries: Array<RolloutEntry> = []
  for (const batch of readRolloutBatches(file, options)) entries.push(...batch)
  return Promise.resolve(entries)
}

const endOf = (entries: ReadonlyArray<RolloutEntry>): FramingEnd => {
  const last = entries[entries.length - 1]
  if (last?._tag !== "End") throw new Error("a read must end with its End entry")
  return last
}

const NEWLINE = 0x0a

/** Pieces a damaged file is made of: good lines and every byte-level fault of SPEC §1. */
const segmentArb = fc.oneof(
  { weight: 5, arbitrary: itemArb.map((item) => Buffer.from(encodeRolloutLine(item))) },
  // Garbage: text, newlines and bytes that are not UTF-8. Raw control bytes and stray
  // backslashes inside strings are the one fault selective decoding does not recheck in
  // payloads it skips (docs/decisions.md); the exact validator has its own property.
  {
    weight: 2,
    arbitrary: fc.array(
      fc.oneof(fc.integer({ min: 0x20, max: 0x5b }), fc.integer({ min: 0x5d, max: 0xff }), fc.constant(0x0a)),
      { maxLength: 40 }
    ).map((bytes) => Buffer.from(bytes))
  },
  {
    weight: 2,
    arbitrary: fc.tuple(itemArb, fc.nat()).map(([item, cut]) => {
      const line = Buffer.from(encodeRolloutLine(item))
      return line.subarray(0, cut % line.length)
    })
  },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 2000 }).map((n) => Buffer.from(`{"x":"${"y".repeat(n)}"}\n`)) },
  {
    weight: 1,
    arbitrary: fc.tuple(itemArb, itemArb, fc.nat()).map(([partial, whole, cut]) => {
      const first = Buffer.from(encodeRolloutLine(partial))
      return Buffer.concat([first.subarray(0, cut % (first.length - 1)), Buffer.from(encodeRolloutLine(whole))])
    })
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Buffer.from("\n"), Buffer.from("\r\n"), Buffer.from("  \n"), Buffer.from(","))
  }
)

const damagedFileArb = fc
  .tuple(fc.boolean(), fc.array(segmentArb, { maxLength: 30 }))
  .map(([bom, segments]) => Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), ...segments]))

describe("reader properties", () => {
  it.effect("reading an encoded line back yields the same item", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(itemsArb(), async (items) => {
          const file = freshFile()
          writeFileSync(file, items.map(encodeRolloutLine).join(""))
          const entries = await readAll(file, { decode: "full" })
          expect(entries.filter((e) => e._tag === "Issue")).toEqual([])
          expect(entries.flatMap((e) => (e._tag === "Item" ? [e.item] : []))).toEqual(viaJson(items))
          expect(entries.flatMap((e) => (e._tag === "Item" ? [e.lineNumber] : []))).toEqual(items.map((_, i) => i + 1))
        }),
        { numRuns: runs(200) }
      )
    ))

  it.effect("selective decoding folds to exactly the state, messages and issues full decoding gives, on damaged files too", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(damagedFileArb, fc.subarray([...MESSAGE_KINDS]), async (bytes, messageKinds) => {
          const file = freshFile()
          writeFileSync(file, bytes)
          const fold = (decode: "full" | "fold") =>
            Effect.runPromise(foldRolloutFile(file, { defaultModelProvider: "openai", decode, messageKinds }))
          const [full, selective] = await Promise.all([fold("full"), fold("fold")])
          expect(selective.state).toEqual(full.state)
          expect(selective.messages).toEqual(full.messages)
          expect(selective.end).toEqual(full.end)
          expect(selective.counts).toEqual(full.counts)
          expect(selective.issues).toEqual(full.issues)
        }),
        { numRuns: runs(200) }
      )
    ))

  it.effect("the reader given arbitrary bytes never throws, never yields a half line and ignores chunking", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          damagedFileArb,
          fc.integer({ min: 1, max: 97 }),
          fc.integer({ min: 64, max: 4096 }),
          async (bytes, chunkBytes, maxLineBytes) => {
            const file = freshFile()
            writeFileSync(file, bytes)
            const small = await readAll(file, { chunkBytes, maxLineBytes })
            const large = await readAll(file, { maxLineBytes })
            expect(small).toEqual(large)
            const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
            const end = endOf(small)
            expect(end.offset).toBe(Math.max(bytes.lastIndexOf(NEWLINE) + 1, bom))
            expect(end.tornTailBytes).toBe(bytes.length - end.offset)
            for (const entry of small) {
              if (entry._tag !== "Item") continue
              expect(entry.byteOffset === bom || bytes[entry.byteOffset - 1] === NEWLINE).toBe(true)
              expect(bytes.indexOf(NEWLINE, entry.byteOffset)).toBeGreaterThanOrEqual(entry.byteOffset)
            }
          }
        ),
        { numRuns: runs(200) }
      )
    ))

  it.effect("catching up from the recorded offset, across a torn write, folds to the fold of the whole file", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(itemsArb(), itemsArb(), fc.nat(), async (a, b, cut) => {
          const file = freshFile()
          const facts = { fileNameTimestamp: Date.UTC(2025, 5, 1), defaultModelProvider: "openai" }
          writeFileSync(file, a.map(encodeRolloutLine).join(""))
          const first = await Effect.runPromise(foldRolloutFile(file, { defaultModelProvider: "openai" }))
          const tail = Buffer.from(b.map(encodeRolloutLine).join(""))
          const split = tail.length === 0 ? 0 : cut % tail.length
          appendFileSync(file, tail.subarray(0, split))
          const torn = await Effect.runPromise(
            foldRolloutFile(file, {
              defaultModelProvider: "openai",
              resume: {
                state: viaJson(first.state),
                offset: first.end.offset,
                nextLineNumber: first.end.nextLineNumber
              }
            })
          )
          appendFileSync(file, tail.subarray(split))
          const caughtUp = await Effect.runPromise(
            foldRolloutFile(file, {
              defaultModelProvider: "openai",
              resume: { state: viaJson(torn.state), offset: torn.end.offset, nextLineNumber: torn.end.nextLineNumber }
            })
          )
          const whole = applyAll(initial(THREAD_IDS[0], facts), viaJson([...a, ...b]))
          expect(caughtUp.state).toEqual(whole)
          expect(caughtUp.end.offset).toBe(Buffer.byteLength(a.map(encodeRolloutLine).join("")) + tail.length)
        }),
        { numRuns: runs(150) }
      )
    ))
})
