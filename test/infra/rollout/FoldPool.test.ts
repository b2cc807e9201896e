/**
 * The fold pool gives every job the fold this thread would have made, whichever thread folded
 * it: issues, read errors and resumed folds included.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as FoldPool from "../../../src/infra/rollout/FoldPool.js"
import { type FileFold, foldRolloutFile, foldRolloutFileNow } from "../../../src/infra/rollout/RolloutFold.js"
import type { RolloutReadError } from "../../../src/infra/rollout/RolloutIssue.js"
import { CORPUS_REAL } from "../../fixtures/corpus.js"

const REAL = CORPUS_REAL
const options = { defaultModelProvider: "openai" }

const line = (type: string, payload: object, second: number) =>
  JSON.stringify({ timestamp: `2026-02-01T10:00:${String(second).padStart(2, "0")}.000Z`, type, payload }) + "\n"

/** A file with one of each reported fault between good lines. */
const faultyFile = (dir: string): string => {
  const path = join(dir, "rollout-2026-02-01T10-00-00-019c0000-0000-7000-8000-0000000000aa.jsonl")
  const meta = line("session_meta", {
    id: "019c0000-0000-7000-8000-0000000000aa",
    timestamp: "2026-02-01T10:00:00.000Z",
    cwd: "/w"
  }, 0)
  const message = line("event_msg", { type: "user_message", message: "fix the reader" }, 1)
  writeFileSync(
    path,
    Buffer.concat([
      Buffer.from(meta),
      Buffer.from("{\"timestamp\": not json\n"),
      Buffer.from(message.slice(0, 20)),
      Buffer.from(message),
      Buffer.from(line("event_msg", { type: "agent_message", message: "x".repeat(5000) }, 2)),
      Buffer.concat([
        Buffer.from(line("event_msg", { type: "agent_message", message: "caf" }, 3)).subarray(0, -4),
        Buffer.from([0xff, 0x22, 0x7d, 0x7d, 0x0a])
      ]),
      Buffer.from(line("event_msg", { type: "task_started", turn_id: "t1" }, 4))
    ])
  )
  return path
}

/** A copy of `path` holding its first half of lines, and the resume that continues it. */
const halfWay = (dir: string, path: string, name: string) => {
  const content = readFileSync(path)
  const cut = content.indexOf(0x0a, Math.floor(content.length / 2)) + 1
  const copy = join(dir, name)
  writeFileSync(copy, content.subarray(0, cut))
  const first = Either.getOrThrow(foldRolloutFileNow(copy, options))
  writeFileSync(copy, content)
  return {
    path: copy,
    options: {
      ...options,
      resume: { state: first.state, offset: first.end.offset, nextLineNumber: first.end.nextLineNumber }
    }
  }
}

const comparable = (fold: Either.Either<FileFold, RolloutReadError>) =>
  Either.isRight(fold) ? { ok: fold.right } : { failed: { file: fold.left.file, reason: fold.left.reason } }

describe("FoldPool", () => {
  it.live("folds every job exactly as this thread does, whichever thread took it", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "fold-pool-"))
      const real = readdirSync(REAL).filter((name) => name.endsWith(".jsonl")).map((name) => {
        copyFileSync(join(REAL, name), join(dir, name))
        return { path: join(dir, name), options }
      })
      const biggest = real.reduce((a, b) => (statSync(a.path).size >= statSync(b.path).size ? a : b))
      const jobs = [
        ...real,
        { path: faultyFile(dir), options: { ...options, maxLineBytes: 1024 } },
        { path: join(dir, "rollout-missing.jsonl"), options },
        halfWay(dir, biggest.path, "rollout-2026-02-01T10-00-00-019c0000-0000-7000-8000-0000000000bb.jsonl")
      ].map((job) => ({ ...job, bytes: 1 }))
      const expected = jobs.map((job) => comparable(foldRolloutFileNow(job.path, job.options)))
      // The faults are all there to travel back: a parse error, a glued partial record, an
      // oversized line, invalid UTF-8, a missing file, and a resumed fold.
      const faulty = expected[real.length]!
      expect(faulty.ok?.issues.map((issue) => issue._tag).sort()).toEqual(
        ["InvalidUtf8", "LineParseError", "OversizedLine", "PartialRecordDropped"]
      )
      expect(expected[real.length + 1]).toMatchObject({ failed: { reason: "file not found" } })

      const pool = yield* FoldPool.make({ minBytes: 0, startAfterBytes: 0 })
      // The worker starts on the first batch; batches repeat until it has taken part.
      for (let round = 0; round < 40 && pool.foldedByWorker() === 0; round++) {
        const folds = yield* pool.foldAll([...jobs, ...jobs, ...jobs], () => {})
        expect(folds.map(comparable)).toEqual([...expected, ...expected, ...expected])
      }
      expect(pool.foldedByWorker()).toBeGreaterThan(0)
      // The big file's fold from the start, through the effectful read, matches too.
      const whole = yield* foldRolloutFile(biggest.path, options)
      expect(Either.getOrThrow(foldRolloutFileNow(biggest.path, options))).toEqual(whole)
    }).pipe(Effect.scoped), 120_000)

  it.live("keeps batches below its threshold on this thread", () =>
    Effect.gen(function*() {
      const name = readdirSync(REAL).find((n) => n.endsWith(".jsonl"))!
      const job = { path: join(REAL, name), bytes: statSync(join(REAL, name)).size, options }
      const pool = yield* FoldPool.make({ minBytes: job.bytes * 10, startAfterBytes: 0 })
      const started: Array<number> = []
      for (let round = 0; round < 5; round++) {
        const folds = yield* pool.foldAll([job, job, job], (index) => started.push(index))
        expect(folds.every(Either.isRight)).toBe(true)
      }
      expect(started).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
      expect(pool.foldedByWorker()).toBe(0)
    }).pipe(Effect.scoped))
})
