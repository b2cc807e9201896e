import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { promisify } from "node:util"
import * as ReadAhead from "../../../src/infra/rollout/ReadAhead.js"
import { CORPUS_HOME } from "../../fixtures/corpus.js"

/** Files of `mb` MB each, as ranges over their whole content. */
const files = (count: number, mb: number): Array<ReadAhead.FileRange> => {
  const dir = mkdtempSync(join(tmpdir(), "read-ahead-"))
  return Array.from({ length: count }, (_, i) => {
    const path = join(dir, `file-${i}.jsonl`)
    writeFileSync(path, Buffer.alloc(mb * 1024 * 1024, 0x61))
    return { path, from: 0, to: mb * 1024 * 1024 }
  })
}

const waitFor = (done: () => boolean) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 5000
    while (!done() && Date.now() < deadline) yield* Effect.sleep("10 millis")
  })

describe("ReadAhead", () => {
  it.live("reads every range of a plan but the one the fold starts on", () =>
    Effect.scoped(Effect.gen(function*() {
      const readAhead = yield* ReadAhead.make
      readAhead.warm(files(4, 2))
      yield* waitFor(() => readAhead.rangesRead() >= 3)
      yield* Effect.sleep("50 millis")
      expect(readAhead.rangesRead()).toBe(3)
    })))

  it.live("skips the ranges the fold has already reached", () =>
    Effect.scoped(Effect.gen(function*() {
      const readAhead = yield* ReadAhead.make
      const reaching = readAhead.warm(files(4, 2))
      // The fold is on the last range before the worker has looked at the queue.
      reaching(3)
      yield* Effect.sleep("300 millis")
      expect(readAhead.rangesRead()).toBeLessThanOrEqual(1)
      const before = readAhead.rangesRead()
      readAhead.warm(files(3, 2))
      yield* waitFor(() => readAhead.rangesRead() >= before + 2)
      expect(readAhead.rangesRead()).toBe(before + 2)
    })))

  it.live("starts no worker for a plan too small to need one", () =>
    Effect.scoped(Effect.gen(function*() {
      const readAhead = yield* ReadAhead.make
      readAhead.warm(files(3, 1))
      yield* Effect.sleep("300 millis")
      expect(readAhead.rangesRead()).toBe(0)
    })))

  it.live(
    "a host awaiting a backfill big enough for read-ahead gets its answer and its process exits cleanly",
    () =>
      Effect.gen(function*() {
        const dir = mkdtempSync(join(tmpdir(), "read-ahead-host-"))
        const day = join(dir, "home", "sessions", "2025", "11", "20")
        mkdirSync(day, { recursive: true })
        const source = join(
          CORPUS_HOME,
          "sessions/2025/11/20/rollout-2025-11-20T16-59-09-019a9f10-1111-7222-8333-444455556666.jsonl"
        )
        const file = join(day, basename(source))
        copyFileSync(source, file)
        // ~6 MB of payloads the fold skips: above the read-ahead's threshold.
        const line = JSON.stringify({
          timestamp: "2025-11-20T17:00:00.000Z",
          type: "response_item",
          payload: { type: "function_call_output", call_id: "call_1", output: "x".repeat(60_000) }
        })
        appendFileSync(file, `${line}\n`.repeat(100))
        const { stdout } = yield* Effect.promise(() =>
          promisify(execFile)(process.execPath, [
            "--import",
            "tsx",
            join(import.meta.dirname, "../../fixtures/backfiller.ts"),
            join(dir, "home"),
            join(dir, "state.sqlite")
          ])
        )
        expect(JSON.parse(stdout)).toEqual({ status: "complete", upserted: 1 })
      }),
    60_000
  )
})
