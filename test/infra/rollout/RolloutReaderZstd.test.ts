import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { DEFAULT_MAX_LINE_BYTES } from "../../../src/infra/rollout/LineFramer.js"
import { foldRolloutFile } from "../../../src/infra/rollout/RolloutFold.js"
import { frameHeader, longLine, type Piece, writeFrame } from "../../fixtures/zstdFrames.js"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "zstd-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const CHILD = fileURLToPath(new URL("../../fixtures/peakRssRead.ts", import.meta.url))
const BOUND_MB = 300
const MIB = 1024 * 1024

interface ChildReport {
  readonly peakRssMb: number
  readonly issues: ReadonlyArray<{ readonly tag: string; readonly file: string; readonly lineNumber: number }>
  readonly error?: string
}

/** Reads `file` in a fresh process, so its peak RSS is this read's alone. */
const readInChild = (file: string, mode: "fold" | "batches") =>
  Effect.promise(async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", CHILD, file, mode], {
      maxBuffer: 64 * MIB
    })
    return JSON.parse(stdout) as ChildReport
  })

const LAST_LINE = "{\"type\":\"event_msg\",\"payload\":{\"type\":\"agent_message\",\"message\":\"end\"}}\n"

/** 1,100 items of 1 MiB, one line over the cap, one ordinary line: 1.2 GB in ~54 KB. */
const manyLines = function*(): Generator<Piece> {
  for (let i = 0; i < 1100; i++) yield* longLine(MIB, "{\"type\":\"compacted\",\"payload\":{\"message\":\"", "\"}}")
  yield* longLine(DEFAULT_MAX_LINE_BYTES + MIB)
  yield { raw: Buffer.from(LAST_LINE) }
}

describe("compressed rollouts in bounded memory", () => {
  it.scoped(
    "a 54 KB .jsonl.zst of 1.2 GB of lines is read under 300 MB RSS, its over-cap line reported with file and line",
    () =>
      Effect.gen(function*() {
        const file = join(yield* tempDir, "rollout-many.jsonl.zst")
        writeFrame(file, 21, manyLines())
        for (const mode of ["fold", "batches"] as const) {
          const report = yield* readInChild(file, mode)
          expect(report.error).toBeUndefined()
          expect(report.peakRssMb).toBeLessThan(BOUND_MB)
          expect(report.issues).toEqual([
            { tag: "OversizedLine", file, lineNumber: 1101 }
          ])
        }
      }),
    180_000
  )

  it.scoped(
    "a 64 KB .jsonl.zst holding one 2 GB line is read under 300 MB RSS and the line reported as over the cap",
    () =>
      Effect.gen(function*() {
        const file = join(yield* tempDir, "rollout-single.jsonl.zst")
        writeFrame(file, 21, longLine(2 * 1024 * MIB))
        const report = yield* readInChild(file, "fold")
        expect(report.error).toBeUndefined()
        expect(report.peakRssMb).toBeLessThan(BOUND_MB)
        expect(report.issues).toEqual([{ tag: "OversizedLine", file, lineNumber: 1 }])
      }),
    180_000
  )

  it.scoped("a frame asking for a 2 GiB window is refused as a read error naming the file", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "rollout-long.jsonl.zst")
      writeFileSync(file, Buffer.concat([frameHeader(31), Buffer.from([0x01, 0x00, 0x00])]))
      const error = yield* Effect.flip(foldRolloutFile(file, { defaultModelProvider: "openai" }))
      expect(error._tag).toBe("RolloutReadError")
      expect(error.file).toBe(file)
      expect(error.reason).toContain("window")
      expect(error.message).toContain(file)
    }))

  it.scoped("a frame with a 32 MiB window is read, one with a 64 MiB window refused", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const accepted = join(dir, "rollout-25.jsonl.zst")
      writeFrame(accepted, 25, [{ raw: Buffer.from(LAST_LINE) }])
      expect((yield* foldRolloutFile(accepted, { defaultModelProvider: "openai" })).counts.items).toBe(1)
      const refused = join(dir, "rollout-26.jsonl.zst")
      writeFrame(refused, 26, [{ raw: Buffer.from(LAST_LINE) }])
      const error = yield* Effect.flip(foldRolloutFile(refused, { defaultModelProvider: "openai" }))
      expect(error.reason).toContain("67108864-byte window")
    }))

  it.scoped("frames written block by block read back to the lines they hold", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "rollout-small.jsonl.zst")
      const text = LAST_LINE.repeat(3)
      writeFrame(file, 17, [{ raw: Buffer.from(text.slice(0, 50)) }, { raw: Buffer.from(text.slice(50)) }])
      const fold = yield* foldRolloutFile(file, { defaultModelProvider: "openai" })
      expect(fold.counts.items).toBe(3)
      expect(fold.end.offset).toBe(text.length)
    }))
})
