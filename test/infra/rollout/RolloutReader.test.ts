/**
 * Example tests for the reader, one per tolerance rule and byte-level fault of SPEC §1.
 * Every test writes its own files into a fresh temporary directory.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Stream } from "effect"
import { execFileSync } from "node:child_process"
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { decodeRolloutItem, type RolloutItem } from "../../../src/domain/RolloutItem.js"
import { turnsOf } from "../../../src/domain/ThreadState.js"
import type { FramingEnd } from "../../../src/infra/rollout/LineFramer.js"
import { foldRolloutFile, isUnknownItem } from "../../../src/infra/rollout/RolloutFold.js"
import {
  InvalidUtf8,
  LineParseError,
  OversizedLine,
  PartialRecordDropped,
  type ReadIssue,
  RolloutReadError
} from "../../../src/infra/rollout/RolloutIssue.js"
import { type ReadOptions, type RolloutEntry, streamRollout } from "../../../src/infra/rollout/RolloutReader.js"

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const ID = "019a9f10-1111-7222-8333-444455556666"
const FILE_NAME = `rollout-2025-11-20T10-00-00-${ID}.jsonl`
const MODES = ["full", "fold"] as const
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

const TS = (second: number): string => new Date(Date.UTC(2025, 10, 20, 10, 0, second)).toISOString()

const wrapped = (type: string, payload: unknown, timestamp: string = TS(0)): string =>
  JSON.stringify({ timestamp, type, payload })

const sessionMeta = (extra: Record<string, unknown> = {}): string =>
  wrapped("session_meta", {
    id: ID,
    timestamp: TS(0),
    cwd: "/work/shop",
    originator: "codex_cli_rs",
    cli_version: "0.63.0",
    source: "cli",
    model_provider: "openai",
    ...extra
  })

const turnContext = (second = 1): string =>
  wrapped("turn_context", {
    turn_id: "turn-1",
    cwd: "/work/shop",
    approval_policy: "on-request",
    sandbox_policy: { type: "read-only" },
    model: "gpt-5.1-codex",
    effort: "high",
    summary: "auto"
  }, TS(second))

const userMessage = (message: string, second = 2): string =>
  wrapped("event_msg", { type: "user_message", message, images: [] }, TS(second))

const agentMessage = (message: string, second = 3): string =>
  wrapped("event_msg", { type: "agent_message", message }, TS(second))

const tokenCount = (total: number, second = 4): string =>
  wrapped("event_msg", {
    type: "token_count",
    info: {
      total_token_usage: {
        input_tokens: total - 10,
        cached_input_tokens: 0,
        output_tokens: 10,
        reasoning_output_tokens: 0,
        total_tokens: total
      },
      last_token_usage: null,
      model_context_window: 272000
    }
  }, TS(second))

const responseItem = (text: string, second = 3): string =>
  wrapped("response_item", {
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text }]
  }, TS(second))

/** Lines joined, each terminated by `\n`. */
const jsonl = (...lines: ReadonlyArray<string>): string => lines.map((line) => `${line}\n`).join("")

const bytes = (text: string): number => Buffer.byteLength(text)

/** Byte offsets of the lines of `jsonl(...lines)`, plus `start` (a BOM). */
const offsetsOf = (lines: ReadonlyArray<string>, start = 0): Array<number> => {
  const offsets: Array<number> = []
  let at = start
  for (const line of lines) {
    offsets.push(at)
    at += bytes(line) + 1
  }
  return offsets
}

/** What a line decodes to in full mode, computed independently of the reader. */
const decoded = (line: string): RolloutItem => {
  const result = decodeRolloutItem(JSON.parse(line))
  if (Either.isLeft(result)) throw new Error(`test fixture does not decode: ${result.left.reason}`)
  return result.right
}

/** A fresh temporary directory, removed when the test's scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "rollout-reader-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const writeRollout = (dir: string, content: string | Buffer, name = FILE_NAME): string => {
  const file = join(dir, name)
  writeFileSync(file, content)
  return file
}

const readAll = (file: string, options?: ReadOptions): Effect.Effect<ReadonlyArray<RolloutEntry>, RolloutReadError> =>
  Stream.runCollect(streamRollout(file, options)).pipe(Effect.map(Chunk.toReadonlyArray))

type ItemEntry = Extract<RolloutEntry, { readonly _tag: "Item" }>

const itemsOf = (entries: ReadonlyArray<RolloutEntry>): Array<ItemEntry> =>
  entries.filter((entry): entry is ItemEntry => entry._tag === "Item")

const issuesOf = (entries: ReadonlyArray<RolloutEntry>): Array<ReadIssue> =>
  entries.flatMap((entry) => (entry._tag === "Issue" ? [entry.issue] : []))

const endOf = (entries: ReadonlyArray<RolloutEntry>): FramingEnd => {
  const last = entries[entries.length - 1]
  if (last?._tag !== "End") throw new Error("a read must end with its End entry")
  expect(entries.filter((entry) => entry._tag === "End")).toHaveLength(1)
  return { offset: last.offset, nextLineNumber: last.nextLineNumber, tornTailBytes: last.tornTailBytes }
}

const lineNumbersOf = (entries: ReadonlyArray<RolloutEntry>): Array<number> =>
  itemsOf(entries).map((entry) => entry.lineNumber)

const itemAt = (entries: ReadonlyArray<RolloutEntry>, lineNumber: number): RolloutItem => {
  const entry = itemsOf(entries).find((e) => e.lineNumber === lineNumber)
  if (entry === undefined) throw new Error(`no item at line ${lineNumber}`)
  return entry.item
}

/** The wrapped type an item was written with, whether decoded or only skimmed. */
const lineTypeOf = (item: RolloutItem): string =>
  item.type === "skipped" ? item.lineType : item.type === "unknown" ? item.rawType : item.type

/** The `event_msg` type of an item, whether decoded or only skimmed. */
const eventTypeOf = (item: RolloutItem): string | undefined =>
  item.type === "skipped" ? item.eventType : item.type === "event_msg" ? item.payload.type : undefined

/** Issues as plain values, without the file name (to compare reads of two files). */
const normalized = (entries: ReadonlyArray<RolloutEntry>): Array<unknown> =>
  entries.map((entry) =>
    entry._tag === "Issue"
      ? {
        _tag: "Issue",
        kind: entry.issue._tag,
        lineNumber: entry.issue.lineNumber,
        byteOffset: entry.issue.byteOffset
      }
      : entry
  )

// ---------------------------------------------------------------------------------------
// Tolerance rules
// ---------------------------------------------------------------------------------------

describe("RolloutReader tolerance (SPEC §1)", () => {
  it.scoped("reads an unknown top-level type and an unknown event_msg type as items, never as issues, in both decode modes", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const worldState = wrapped("world_state", { cwd: "/elsewhere", entries: [1, 2] }, TS(2))
      const futureEvent = wrapped("event_msg", { type: "brand_new_event", detail: { a: 1 } }, TS(3))
      const lines = [
        sessionMeta({ future_field: { nested: true } }),
        worldState,
        futureEvent,
        userMessage("still read", 4)
      ]
      const file = writeRollout(dir, jsonl(...lines))
      for (const decode of MODES) {
        const entries = yield* readAll(file, { decode })
        expect(issuesOf(entries), decode).toEqual([])
        expect(lineNumbersOf(entries), decode).toEqual([1, 2, 3, 4])

        const unknownLine = itemAt(entries, 2)
        const unknownEvent = itemAt(entries, 3)
        expect(lineTypeOf(unknownLine), decode).toBe("world_state")
        expect(isUnknownItem(unknownLine), decode).toBe(true)
        expect(lineTypeOf(unknownEvent), decode).toBe("event_msg")
        expect(eventTypeOf(unknownEvent), decode).toBe("brand_new_event")
        expect(isUnknownItem(unknownEvent), decode).toBe(true)
        if (decode === "full") {
          expect(unknownLine).toEqual({
            timestamp: TS(2),
            type: "unknown",
            rawType: "world_state",
            payload: { cwd: "/elsewhere", entries: [1, 2] }
          })
          expect(unknownEvent).toEqual({
            timestamp: TS(3),
            type: "event_msg",
            payload: { type: "brand_new_event", detail: { a: 1 } }
          })
        }
        // An unknown field on a known line is kept and does not stop its decoding.
        expect(itemAt(entries, 1), decode).toEqual(decoded(lines[0]!))
        expect(itemAt(entries, 1)).toMatchObject({ type: "session_meta", payload: { future_field: { nested: true } } })

        const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode })
        expect(fold.counts, decode).toEqual({ items: 4, unknown: 2, parseErrors: 0, warnings: 0 })
        expect(fold.state.metadata.cwd, decode).toBe("/work/shop")
        expect(fold.state.metadata.title, decode).toBe("still read")
      }
    }))

  it.scoped("reports a non-JSON line as a LineParseError naming file, line number and reason, and reads on from the next line", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const lines = [sessionMeta(), "this is not json {", turnContext(), userMessage("after the bad line")]
      const file = writeRollout(dir, jsonl(...lines))
      const offsets = offsetsOf(lines)
      for (const decode of MODES) {
        const entries = yield* readAll(file, { decode })
        const issues = issuesOf(entries)
        expect(issues, decode).toHaveLength(1)
        const issue = issues[0]!
        expect(issue).toBeInstanceOf(LineParseError)
        expect(issue).toMatchObject({ _tag: "LineParseError", file, lineNumber: 2, byteOffset: offsets[1] })
        expect((issue as LineParseError).reason.length).toBeGreaterThan(0)
        expect(issue.message).toContain(`${file}:2`)
        expect(issue.message).toContain((issue as LineParseError).reason)
        expect(lineNumbersOf(entries), decode).toEqual([1, 3, 4])
        expect(itemAt(entries, 3)).toEqual(decoded(lines[2]!))
        expect(itemAt(entries, 4)).toEqual(decoded(lines[3]!))
        expect(endOf(entries)).toEqual({ offset: bytes(jsonl(...lines)), nextLineNumber: 5, tornTailBytes: 0 })

        const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode })
        expect(fold.counts.parseErrors).toBe(1)
        expect(fold.state.metadata.title).toBe("after the bad line")
        expect(fold.state.metadata.model).toBe("gpt-5.1-codex")
      }
    }))

  it.scoped("reports a JSON line that fails its schema as a LineParseError and reads on", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const metaWithoutId = wrapped("session_meta", { timestamp: TS(0), cwd: "/nowhere", source: "cli" })
      const cwdIsNumber = wrapped("turn_context", { cwd: 5, model: "gpt-5", approval_policy: "never" }, TS(1))
      const messageIsNumber = wrapped("event_msg", { type: "user_message", message: 42 }, TS(2))
      const infoIsString = wrapped("event_msg", { type: "token_count", info: "lots" }, TS(3))
      const lines = [
        sessionMeta(),
        metaWithoutId,
        cwdIsNumber,
        messageIsNumber,
        infoIsString,
        "[1,2,3]",
        "\"just a string\"",
        userMessage("good line")
      ]
      const file = writeRollout(dir, jsonl(...lines))
      const offsets = offsetsOf(lines)
      for (const decode of MODES) {
        const entries = yield* readAll(file, { decode })
        const issues = issuesOf(entries)
        expect(issues.map((issue) => issue._tag), decode).toEqual(Array(6).fill("LineParseError"))
        expect(issues.map((issue) => issue.lineNumber), decode).toEqual([2, 3, 4, 5, 6, 7])
        expect(issues.map((issue) => issue.byteOffset), decode).toEqual(offsets.slice(1, 7))
        for (const issue of issues) expect(issue.file).toBe(file)
        expect((issues[0] as LineParseError).reason, decode).toContain("id")
        expect((issues[1] as LineParseError).reason, decode).toContain("cwd")
        expect(lineNumbersOf(entries), decode).toEqual([1, 8])

        const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode })
        expect(fold.counts.parseErrors).toBe(6)
        expect(fold.state.metadata.cwd).toBe("/work/shop")
        expect(fold.state.metadata.title).toBe("good line")
      }
    }))

  it.scoped("ignores an unterminated final line until it is completed, then yields exactly that line from the recorded end", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const head = [sessionMeta(), turnContext()]
      const last = userMessage("finish me")
      const headBytes = bytes(jsonl(...head))
      const cut = 25
      const file = writeRollout(dir, jsonl(...head) + last.slice(0, cut))

      for (const decode of MODES) {
        const entries = yield* readAll(file, { decode })
        expect(issuesOf(entries)).toEqual([])
        expect(lineNumbersOf(entries)).toEqual([1, 2])
        expect(endOf(entries)).toEqual({ offset: headBytes, nextLineNumber: 3, tornTailBytes: cut })
      }

      // The last line is now complete JSON, but still has no `\n`: it is still not a line.
      appendFileSync(file, last.slice(cut))
      const whole = yield* readAll(file)
      expect(lineNumbersOf(whole)).toEqual([1, 2])
      expect(endOf(whole)).toEqual({ offset: headBytes, nextLineNumber: 3, tornTailBytes: bytes(last) })
      const fromEnd = yield* readAll(file, { fromOffset: headBytes, fromLineNumber: 3 })
      expect(itemsOf(fromEnd)).toEqual([])
      expect(endOf(fromEnd)).toEqual({ offset: headBytes, nextLineNumber: 3, tornTailBytes: bytes(last) })

      // Never projected half-written.
      const torn = yield* foldRolloutFile(file, { defaultModelProvider: "openai" })
      expect(torn.state.metadata.title).toBe("")
      expect(turnsOf(torn.state)).toEqual([])
      expect(torn.end).toMatchObject({ offset: headBytes, nextLineNumber: 3, tornTailBytes: bytes(last) })

      appendFileSync(file, "\n")
      for (const decode of MODES) {
        const completed = yield* readAll(file, {
          fromOffset: torn.end.offset,
          fromLineNumber: torn.end.nextLineNumber,
          decode
        })
        expect(issuesOf(completed)).toEqual([])
        expect(itemsOf(completed)).toEqual([{
          _tag: "Item",
          lineNumber: 3,
          byteOffset: headBytes,
          item: decoded(last)
        }])
        expect(endOf(completed)).toEqual({ offset: headBytes + bytes(last) + 1, nextLineNumber: 4, tornTailBytes: 0 })
      }

      const caughtUp = yield* foldRolloutFile(file, {
        defaultModelProvider: "openai",
        resume: { state: torn.state, offset: torn.end.offset, nextLineNumber: torn.end.nextLineNumber }
      })
      const rebuilt = yield* foldRolloutFile(file, { defaultModelProvider: "openai" })
      expect(caughtUp.state.metadata.title).toBe("finish me")
      expect(caughtUp.state).toEqual(rebuilt.state)
    }))

  it.scoped("reads from a given byte offset and line number only the later lines, with their own numbers and byte offsets", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      // Multi-byte characters make byte offsets differ from string indices.
      const lines = [
        sessionMeta(),
        turnContext(),
        userMessage("héllo ✓ wörld", 2),
        responseItem("naïve ☃ café 🎉", 3),
        tokenCount(120, 4)
      ]
      const file = writeRollout(dir, jsonl(...lines))
      const offsets = offsetsOf(lines)
      const size = bytes(jsonl(...lines))

      for (const decode of MODES) {
        for (const chunkBytes of [undefined, 7]) {
          const options = { decode, ...(chunkBytes === undefined ? {} : { chunkBytes }) }
          const all = yield* readAll(file, options)
          expect(issuesOf(all)).toEqual([])
          expect(itemsOf(all).map((e) => [e.lineNumber, e.byteOffset])).toEqual(offsets.map((o, i) => [i + 1, o]))

          const later = yield* readAll(file, { ...options, fromOffset: offsets[2]!, fromLineNumber: 3 })
          expect(issuesOf(later)).toEqual([])
          expect(itemsOf(later).map((e) => [e.lineNumber, e.byteOffset])).toEqual([
            [3, offsets[2]],
            [4, offsets[3]],
            [5, offsets[4]]
          ])
          // The same items as a read from the start gives for those lines.
          expect(itemsOf(later)).toEqual(itemsOf(all).slice(2))
          expect(endOf(later)).toEqual({ offset: size, nextLineNumber: 6, tornTailBytes: 0 })
        }
      }
      expect(itemAt(yield* readAll(file, { fromOffset: offsets[2]!, fromLineNumber: 3, decode: "full" }), 3))
        .toEqual(decoded(lines[2]!))

      const atEnd = yield* readAll(file, { fromOffset: size, fromLineNumber: 6 })
      expect(itemsOf(atEnd)).toEqual([])
      expect(endOf(atEnd)).toEqual({ offset: size, nextLineNumber: 6, tornTailBytes: 0 })
    }))

  it.scoped("skips a UTF-8 BOM at the start of the file: line 1 still parses and starts at byte offset 3", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const lines = [sessionMeta(), userMessage("after a bom")]
      const file = writeRollout(dir, Buffer.concat([BOM, Buffer.from(jsonl(...lines))]))
      for (const decode of MODES) {
        for (const chunkBytes of [undefined, 2]) {
          const entries = yield* readAll(file, { decode, ...(chunkBytes === undefined ? {} : { chunkBytes }) })
          expect(issuesOf(entries)).toEqual([])
          expect(itemsOf(entries).map((e) => [e.lineNumber, e.byteOffset])).toEqual([[1, 3], [
            2,
            3 + bytes(lines[0]!) + 1
          ]])
          expect(itemAt(entries, 1)).toEqual(decoded(lines[0]!))
          expect(endOf(entries)).toEqual({ offset: 3 + bytes(jsonl(...lines)), nextLineNumber: 3, tornTailBytes: 0 })
        }
        const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode })
        expect(fold.counts.parseErrors).toBe(0)
        expect(fold.state.metadata.id).toBe(ID)
        expect(fold.state.metadata.cwd).toBe("/work/shop")
        expect(fold.state.metadata.title).toBe("after a bom")
      }
    }))

  it.scoped("lets invalid UTF-8 cost at most its own line: decoded with U+FFFD and reported, or one parse error", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const meta = sessionMeta()
      // Inside a string: the line is still read, the bad bytes become U+FFFD.
      const inString = Buffer.concat([
        Buffer.from(`{"timestamp":"${TS(2)}","type":"event_msg","payload":{"type":"user_message","message":"caf`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`é ok"}}`)
      ])
      // Outside any string: the line is not JSON any more.
      const breaksJson = Buffer.concat([
        Buffer.from(`{"timestamp":"${TS(3)}",`),
        Buffer.from([0xc3]),
        Buffer.from(`"type":"event_msg","payload":{"type":"agent_message","message":"x"}}`)
      ])
      // Inside a payload the fold mode only skims.
      const inSkimmed = Buffer.concat([
        Buffer.from(
          `{"timestamp":"${
            TS(4)
          }","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"a`
        ),
        Buffer.from([0x80]),
        Buffer.from(`b"}]}}`)
      ])
      const after = turnContext(5)
      const parts = [Buffer.from(meta), inString, breaksJson, inSkimmed, Buffer.from(after)]
      const file = writeRollout(dir, Buffer.concat(parts.flatMap((p) => [p, Buffer.from("\n")])))
      const offsets: Array<number> = []
      parts.reduce((at, p) => (offsets.push(at), at + p.length + 1), 0)

      for (const decode of MODES) {
        for (const chunkBytes of [undefined, 5]) {
          const entries = yield* readAll(file, { decode, ...(chunkBytes === undefined ? {} : { chunkBytes }) })
          expect(lineNumbersOf(entries), decode).toEqual([1, 2, 4, 5])
          const issues = issuesOf(entries)
          expect(issues.map((i) => [i._tag, i.lineNumber, i.byteOffset]), decode).toEqual([
            ["InvalidUtf8", 2, offsets[1]],
            ["LineParseError", 3, offsets[2]],
            ["InvalidUtf8", 4, offsets[3]]
          ])
          expect(issues[0]).toBeInstanceOf(InvalidUtf8)
          expect(issues[0]!.file).toBe(file)
          expect(itemAt(entries, 2)).toEqual({
            timestamp: TS(2),
            type: "event_msg",
            payload: { type: "user_message", message: "caf\uFFFD\uFFFDé ok" }
          })
          expect(lineTypeOf(itemAt(entries, 4))).toBe("response_item")
          expect(itemAt(entries, 5)).toEqual(decoded(after))
        }
        const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode })
        expect(fold.counts).toEqual({ items: 4, unknown: 0, parseErrors: 1, warnings: 2 })
        expect(fold.state.metadata.title).toBe("caf\uFFFD\uFFFDé ok")
        expect(fold.state.metadata.model).toBe("gpt-5.1-codex")
      }
    }))

  it.scoped("recovers the complete record of a retried write glued behind a partial one and reports the partial one", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const meta = sessionMeta()
      const whole = userMessage("the retried write", 2)
      const partialOfOther = responseItem("this write failed half way", 1).slice(0, 37)
      const partialOfSame = whole.slice(0, 50)
      const cutInKey = "{\"timesta"
      const after = turnContext(5)
      const lines = [meta, partialOfOther + whole, partialOfSame + whole, cutInKey + whole, after]
      const file = writeRollout(dir, jsonl(...lines))
      const offsets = offsetsOf(lines)
      for (const decode of MODES) {
        const entries = yield* readAll(file, { decode })
        const issues = issuesOf(entries)
        expect(issues.map((i) => i._tag), decode).toEqual(Array(3).fill("PartialRecordDropped"))
        expect(issues[0]).toBeInstanceOf(PartialRecordDropped)
        expect(issues).toEqual([
          { _tag: "PartialRecordDropped", file, lineNumber: 2, byteOffset: offsets[1], droppedBytes: 37 },
          { _tag: "PartialRecordDropped", file, lineNumber: 3, byteOffset: offsets[2], droppedBytes: 50 },
          { _tag: "PartialRecordDropped", file, lineNumber: 4, byteOffset: offsets[3], droppedBytes: cutInKey.length }
        ].map((expected): unknown => expect.objectContaining(expected)))
        expect(itemsOf(entries).map((e) => [e.lineNumber, e.byteOffset])).toEqual(offsets.map((o, i) => [i + 1, o]))
        for (const lineNumber of [2, 3, 4]) expect(itemAt(entries, lineNumber), decode).toEqual(decoded(whole))

        const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode })
        expect(fold.counts.parseErrors).toBe(0)
        expect(fold.counts.warnings).toBe(3)
        expect(fold.state.metadata.title).toBe("the retried write")
      }
    }))

  it.scoped("treats a file ending in a comma without a newline as a torn tail", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const lines = [sessionMeta(), userMessage("kept")]
      const loneComma = writeRollout(dir, jsonl(...lines) + ",", "lone-comma.jsonl")
      const recordComma = writeRollout(dir, jsonl(lines[0]!) + `${turnContext()},`, "record-comma.jsonl")
      for (const decode of MODES) {
        const a = yield* readAll(loneComma, { decode })
        expect(issuesOf(a)).toEqual([])
        expect(lineNumbersOf(a)).toEqual([1, 2])
        expect(endOf(a)).toEqual({ offset: bytes(jsonl(...lines)), nextLineNumber: 3, tornTailBytes: 1 })

        const b = yield* readAll(recordComma, { decode })
        expect(issuesOf(b)).toEqual([])
        expect(lineNumbersOf(b)).toEqual([1])
        expect(endOf(b)).toEqual({
          offset: bytes(lines[0]!) + 1,
          nextLineNumber: 2,
          tornTailBytes: bytes(turnContext()) + 1
        })
        const fold = yield* foldRolloutFile(recordComma, { defaultModelProvider: "openai", decode })
        expect(fold.counts.parseErrors).toBe(0)
        expect(fold.state.metadata.model).toBeNull()
      }
    }))

  it.scoped("skips a line over maxLineBytes with an OversizedLine issue carrying its byte length, also across many chunks", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const cap = 1024
      const meta = sessionMeta()
      const huge = responseItem("x".repeat(5000) + "é", 2)
      const hugeEvent = userMessage("y".repeat(3000), 3)
      const base = bytes(responseItem("", 4))
      const exactlyCap = responseItem("z".repeat(cap - base), 4)
      expect(bytes(exactlyCap)).toBe(cap)
      const after = userMessage("after the huge lines", 5)
      const lines = [meta, huge, exactlyCap, hugeEvent, after]
      const file = writeRollout(dir, jsonl(...lines))
      const offsets = offsetsOf(lines)

      for (const decode of MODES) {
        for (const chunkBytes of [undefined, 64]) {
          const options = { decode, maxLineBytes: cap, ...(chunkBytes === undefined ? {} : { chunkBytes }) }
          const entries = yield* readAll(file, options)
          const issues = issuesOf(entries)
          expect(issues, `${decode} ${chunkBytes}`).toEqual([
            expect.objectContaining({
              _tag: "OversizedLine",
              file,
              lineNumber: 2,
              byteOffset: offsets[1],
              byteLength: bytes(huge),
              maxLineBytes: cap
            }),
            expect.objectContaining({
              _tag: "OversizedLine",
              file,
              lineNumber: 4,
              byteOffset: offsets[3],
              byteLength: bytes(hugeEvent),
              maxLineBytes: cap
            })
          ])
          expect(issues[0]).toBeInstanceOf(OversizedLine)
          expect(itemsOf(entries).map((e) => [e.lineNumber, e.byteOffset])).toEqual([
            [1, offsets[0]],
            [3, offsets[2]],
            [5, offsets[4]]
          ])
          expect(itemAt(entries, 1)).toEqual(decoded(meta))
          expect(itemAt(entries, 5)).toEqual(decoded(after))
          expect(endOf(entries)).toEqual({ offset: bytes(jsonl(...lines)), nextLineNumber: 6, tornTailBytes: 0 })
        }
        const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode, maxLineBytes: cap })
        // A skipped line is a line lost: counted with the lines that did not parse.
        expect(fold.counts).toEqual({ items: 3, unknown: 0, parseErrors: 2, warnings: 0 })
        expect(fold.state.metadata.title).toBe("after the huge lines")
      }

      // An oversized line still being written is a torn tail, not yet an issue.
      const tornHuge = writeRollout(dir, jsonl(meta) + "w".repeat(3000), "torn-huge.jsonl")
      const torn = yield* readAll(tornHuge, { maxLineBytes: cap, chunkBytes: 64 })
      expect(issuesOf(torn)).toEqual([])
      expect(endOf(torn)).toEqual({ offset: bytes(meta) + 1, nextLineNumber: 2, tornTailBytes: 3000 })
    }))

  it.scoped("tolerates blank lines and CRLF line endings", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const meta = sessionMeta()
      const context = turnContext()
      const message = userMessage("crlf")
      const physical = [`${meta}\r\n`, "\n", "   \n", `${context}\r\n`, "\r\n", "\t \r\n", `${message}\n`, "\n"]
      const file = writeRollout(dir, physical.join(""))
      const offsets = offsetsOf(physical.map((p) => p.slice(0, -1)))
      for (const decode of MODES) {
        const entries = yield* readAll(file, { decode })
        expect(issuesOf(entries)).toEqual([])
        expect(itemsOf(entries).map((e) => [e.lineNumber, e.byteOffset])).toEqual([
          [1, offsets[0]],
          [4, offsets[3]],
          [7, offsets[6]]
        ])
        expect(itemAt(entries, 1)).toEqual(decoded(meta))
        expect(itemAt(entries, 4)).toEqual(decoded(context))
        expect(itemAt(entries, 7)).toEqual(decoded(message))
        expect(endOf(entries)).toEqual({ offset: bytes(physical.join("")), nextLineNumber: 9, tornTailBytes: 0 })

        const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode })
        expect(fold.counts).toEqual({ items: 3, unknown: 0, parseErrors: 0, warnings: 0 })
        expect(fold.state.metadata.title).toBe("crlf")
      }
    }))

  it.scoped("in fold mode skims response items and irrelevant events into skipped items, fully decodes what the fold reads, and agrees with full mode", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const lines = [
        sessionMeta({
          base_instructions: { text: "be brief" },
          dynamic_tools: [{ name: "lookup", description: "d", input_schema: { type: "object" } }],
          git: { commit_hash: "abc", branch: "main", repository_url: null }
        }),
        responseItem("environment context", 1),
        turnContext(2),
        userMessage("## My request for Codex:\n  fix the cart  ", 3),
        wrapped("event_msg", { type: "agent_reasoning", text: "thinking" }, TS(4)),
        wrapped("event_msg", { type: "agent_message", message: "done" }, TS(5)),
        wrapped("response_item", { type: "function_call", name: "shell", arguments: "{}", call_id: "c1" }, TS(6)),
        tokenCount(4321, 7),
        wrapped("compacted", { message: "summary" }, TS(8)),
        wrapped("event_msg", { type: "thread_name_updated", thread_id: ID, thread_name: "Cart" }, TS(9)),
        wrapped("event_msg", { type: "task_started", turn_id: "turn-2" }, TS(10)),
        wrapped("event_msg", { type: "exec_command_end", exit_code: 0 }, TS(11)),
        wrapped("event_msg", { type: "token_count", info: null }, TS(12)),
        wrapped("event_msg", { type: "task_complete", turn_id: "turn-2" }, TS(13))
      ]
      const file = writeRollout(dir, jsonl(...lines))
      const full = yield* readAll(file, { decode: "full" })
      const fold = yield* readAll(file, { decode: "fold" })
      expect(issuesOf(full)).toEqual([])
      expect(issuesOf(fold)).toEqual([])
      expect(lineNumbersOf(full)).toEqual(lines.map((_, i) => i + 1))
      expect(lineNumbersOf(fold)).toEqual(lines.map((_, i) => i + 1))
      lines.forEach((line, i) => expect(itemAt(full, i + 1)).toEqual(decoded(line)))

      // Response items: skipped, the envelope (timestamp, type) kept.
      for (const [lineNumber, second] of [[2, 1], [7, 6]] as const) {
        expect(itemAt(fold, lineNumber)).toMatchObject({
          type: "skipped",
          lineType: "response_item",
          timestamp: TS(second)
        })
        expect(itemAt(fold, lineNumber)).not.toHaveProperty("eventType")
      }
      // Events the fold does not read: skipped, their type kept.
      for (
        const [lineNumber, eventType, second] of [[5, "agent_reasoning", 4], [6, "agent_message", 5], [
          12,
          "exec_command_end",
          11
        ]] as const
      ) {
        expect(itemAt(fold, lineNumber)).toMatchObject({
          type: "skipped",
          lineType: "event_msg",
          eventType,
          timestamp: TS(second)
        })
      }
      // What the fold reads is decoded whole, exactly as full mode decodes it.
      for (const lineNumber of [1, 3, 4, 8, 10, 11, 13, 14]) {
        expect(itemAt(fold, lineNumber).type, `line ${lineNumber}`).not.toBe("skipped")
        expect(itemAt(fold, lineNumber), `line ${lineNumber}`).toEqual(itemAt(full, lineNumber))
      }
      expect(itemAt(fold, 1).type).toBe("session_meta")
      expect(itemAt(fold, 3).type).toBe("turn_context")
      expect(eventTypeOf(itemAt(fold, 4))).toBe("user_message")
      expect(eventTypeOf(itemAt(fold, 8))).toBe("token_count")
      // Both modes agree on every item: identical where decoded, same envelope where skimmed.
      for (const entry of itemsOf(fold)) {
        const other = itemAt(full, entry.lineNumber)
        if (entry.item.type !== "skipped") {
          expect(entry.item).toEqual(other)
        } else {
          expect(lineTypeOf(other)).toBe(entry.item.lineType)
          expect(eventTypeOf(other)).toBe(entry.item.eventType)
          expect("timestamp" in other ? other.timestamp : undefined).toBe(entry.item.timestamp)
        }
      }

      const foldedFull = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode: "full" })
      const foldedFold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode: "fold" })
      expect(foldedFold.state).toEqual(foldedFull.state)
      expect(foldedFold.counts).toEqual(foldedFull.counts)
      expect(foldedFold.state.metadata).toMatchObject({
        title: "fix the cart",
        name: "Cart",
        tokensUsed: 4321,
        model: "gpt-5.1-codex",
        gitSha: "abc",
        updatedAt: Date.parse(TS(13))
      })
      expect(foldedFold.state.dynamicTools.map((t) => t.name)).toEqual(["lookup"])
    }))

  it.scoped("in fold mode with messages indexed, a developer or system message is skipped unparsed, any other message decoded", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const message = (role: string, text: string) => ({
        type: "message",
        role,
        content: [{ type: "input_text", text }]
      })
      const lines = [
        sessionMeta({}),
        wrapped("response_item", message("developer", "<permissions>"), TS(1)),
        wrapped("response_item", message("system", "be brief"), TS(2)),
        wrapped("response_item", message("user", "fix the cart"), TS(3)),
        wrapped("response_item", message("assistant", "done"), TS(4)),
        // The role read only as the member after `type`: elsewhere, the line is parsed.
        wrapped(
          "response_item",
          { type: "message", content: [{ type: "input_text", text: "x" }], role: "developer" },
          TS(5)
        )
      ]
      const file = writeRollout(dir, jsonl(...lines))
      const fold = yield* readAll(file, { decode: "fold", messageKinds: ["response"] })
      expect(issuesOf(fold)).toEqual([])
      for (const lineNumber of [2, 3]) {
        expect(itemAt(fold, lineNumber)).toMatchObject({ type: "skipped", lineType: "response_item" })
      }
      for (const lineNumber of [4, 5, 6]) expect(itemAt(fold, lineNumber).type).toBe("response_item")
      const folded = (decode: "full" | "fold") =>
        foldRolloutFile(file, { defaultModelProvider: "openai", decode, messageKinds: ["response"] })
      const [full, selective] = [yield* folded("full"), yield* folded("fold")]
      expect(selective.messages.map((m) => m.text)).toEqual(["fix the cart", "done"])
      expect(selective.messages).toEqual(full.messages)
      expect(selective.state).toEqual(full.state)
    }))

  it.scoped("in fold mode reports a newline-terminated response item cut in the middle as a LineParseError, not a skipped item", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const meta = sessionMeta()
      const whole = wrapped("response_item", {
        type: "function_call_output",
        call_id: "call_1",
        output: "{\"output\":\"src/cart.ts:1:export\",\"metadata\":{\"exit_code\":0}}"
      }, TS(3))
      const event = agentMessage("an event the fold skims", 4)
      const middle = Math.floor(whole.length / 2)
      const after = userMessage("after the cut", 5)

      // The plain case: one line cut in the middle.
      const single = writeRollout(dir, jsonl(meta, whole.slice(0, middle), after), "single.jsonl")
      const singleEntries = yield* readAll(single, { decode: "fold" })
      expect(issuesOf(singleEntries).map((i) => [i._tag, i.lineNumber])).toEqual([["LineParseError", 2]])
      expect(issuesOf(singleEntries)[0]).toBeInstanceOf(LineParseError)
      expect(lineNumbersOf(singleEntries)).toEqual([1, 3])

      // Every cut of a skimmable line, in both modes.
      const cuts = [
        ...Array.from({ length: whole.length - 1 }, (_, i) => whole.slice(0, i + 1)),
        ...Array.from({ length: event.length - 1 }, (_, i) => event.slice(0, i + 1))
      ]
      const file = writeRollout(dir, jsonl(meta, ...cuts, after))
      for (const decode of MODES) {
        const entries = yield* readAll(file, { decode })
        const issues = issuesOf(entries)
        expect(issues.every((i) => i._tag === "LineParseError"), decode).toBe(true)
        expect(issues.map((i) => i.lineNumber), decode).toEqual(cuts.map((_, i) => i + 2))
        expect(lineNumbersOf(entries), decode).toEqual([1, cuts.length + 2])
      }
    }))

  it.scoped("reads a .jsonl.zst file to the same entries as the plain file, also from a non-zero offset", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const lines: Array<string> = [sessionMeta(), turnContext()]
      for (let i = 0; lines.length < 3000; i++) {
        lines.push(
          i % 3 === 0
            ? userMessage(`message ${i} — ünïcode ✓`, i % 60)
            : i % 3 === 1
            ? responseItem(`reply ${i} ${"lorem ipsum ".repeat(i % 17)}`, i % 60)
            : tokenCount(1000 + i, i % 60)
        )
      }
      lines.splice(1500, 0, "not json at all")
      const plain = writeRollout(dir, jsonl(...lines))
      execFileSync("zstd", ["-q", "-f", plain])
      const compressed = `${plain}.zst`
      const offsets = offsetsOf(lines)
      const size = bytes(jsonl(...lines))
      expect(size).toBeGreaterThan(300_000)

      const variants: Array<ReadOptions> = [
        {},
        { decode: "full" },
        { fromOffset: offsets[2000]!, fromLineNumber: 2001 },
        { fromOffset: offsets[2000]!, fromLineNumber: 2001, decode: "full", chunkBytes: 64 },
        { fromOffset: offsets[1]!, fromLineNumber: 2, chunkBytes: 1000 }
      ]
      for (const options of variants) {
        const fromPlain = yield* readAll(plain, options)
        const fromZst = yield* readAll(compressed, options)
        const first = options.fromLineNumber ?? 1
        expect(lineNumbersOf(fromPlain).length, JSON.stringify(options)).toBe(
          lines.length - first + 1 - (first <= 1501 ? 1 : 0)
        )
        expect(normalized(fromZst), JSON.stringify(options)).toEqual(normalized(fromPlain))
        expect(endOf(fromZst)).toEqual({ offset: size, nextLineNumber: lines.length + 1, tornTailBytes: 0 })
      }

      const plainFold = yield* foldRolloutFile(plain, { defaultModelProvider: "openai" })
      const zstFold = yield* foldRolloutFile(compressed, { defaultModelProvider: "openai" })
      expect(zstFold.state).toEqual(plainFold.state)
      expect(zstFold.counts).toEqual(plainFold.counts)

      // A BOM survives compression and is skipped the same way.
      const bomDir = join(dir, "bom")
      mkdirSync(bomDir)
      const bomPlain = writeRollout(bomDir, Buffer.concat([BOM, Buffer.from(jsonl(sessionMeta(), userMessage("bom")))]))
      execFileSync("zstd", ["-q", "-f", bomPlain])
      const bomEntries = yield* readAll(`${bomPlain}.zst`)
      expect(normalized(bomEntries)).toEqual(normalized(yield* readAll(bomPlain)))
      expect(itemsOf(bomEntries)[0]?.byteOffset).toBe(3)
    }))

  it.effect("fails with a RolloutReadError naming the file when the file is missing", () =>
    Effect.gen(function*() {
      const missing = join(tmpdir(), `rollout-reader-missing-${process.pid}-${Date.now()}`, FILE_NAME)
      const error = yield* Stream.runCollect(streamRollout(missing)).pipe(Effect.flip)
      expect(error).toBeInstanceOf(RolloutReadError)
      expect(error._tag).toBe("RolloutReadError")
      expect(error.file).toBe(missing)
      expect(error.message).toContain(missing)
      expect(error.reason).toMatch(/not found/)

      const foldError = yield* foldRolloutFile(missing, { defaultModelProvider: "openai" }).pipe(Effect.flip)
      expect(foldError).toBeInstanceOf(RolloutReadError)
      expect(foldError.file).toBe(missing)
    }))

  it.scoped("reads every variant seen in the wild without an issue, in both decode modes", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const lines = [
        JSON.stringify({ type: "session_meta", payload: { id: ID } }),
        sessionMeta({ base_instructions: "a string" }),
        sessionMeta({ base_instructions: { text: "an object" }, git: {} }),
        sessionMeta({ thread_source: "some_future_source", memory_mode: "off" }),
        sessionMeta({
          source: {
            subagent: {
              thread_spawn: {
                parent_thread_id: "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff",
                depth: 1,
                agent_role: "reviewer",
                agent_nickname: "Quill",
                agent_path: "/root/reviewer_1"
              }
            }
          }
        }),
        sessionMeta({ source: { subagent: "review" } }),
        sessionMeta({
          dynamic_tools: [
            { name: "camel", inputSchema: { type: "object" }, deferLoading: true },
            { namespace: "ns", tools: [{ name: "inner", description: "grouped" }] }
          ]
        }),
        sessionMeta({ history_mode: "paginated", history_base: { thread_id: ID, page: 1 } }),
        JSON.stringify({
          type: "turn_context",
          payload: { cwd: "/w", model: "gpt-5", permission_profile: { type: "managed" } }
        }),
        wrapped("turn_context", {
          cwd: "/w",
          model: "gpt-5",
          sandbox_policy: { mode: "danger-full-access" },
          approval_policy: "never"
        }),
        wrapped("turn_context", {
          cwd: "/w",
          model: "gpt-5",
          sandbox_policy: { type: "read-only" },
          permission_profile: { type: "managed" }
        }),
        wrapped("event_msg", { type: "token_count", info: null, rate_limits: null }),
        JSON.stringify({
          timestamp: TS(6),
          ordinal: 17,
          type: "event_msg",
          payload: { type: "user_message", message: "with ordinal" }
        }),
        JSON.stringify({ timestamp: TS(7), type: "inter_agent_communication_metadata", payload: { from: "a" } }),
        JSON.stringify({ timestamp: TS(8), type: "token_usage_record", payload: {} }),
        JSON.stringify({ type: "response_item", payload: { type: "message", role: "user", content: [] } })
      ]
      const file = writeRollout(dir, jsonl(...lines))
      for (const decode of MODES) {
        const entries = yield* readAll(file, { decode })
        expect(issuesOf(entries).map((i) => i.message), decode).toEqual([])
        expect(lineNumbersOf(entries), decode).toEqual(lines.map((_, i) => i + 1))
        const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai", decode })
        expect(fold.counts.parseErrors).toBe(0)
        expect(fold.state.metadata.id).toBe(ID)
        expect(fold.state.metadata.title).toBe("with ordinal")
      }
    }))
})
