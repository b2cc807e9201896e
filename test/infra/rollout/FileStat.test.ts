import { describe, expect, it } from "@effect/vitest"
import { mkdtempSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { archivedAtOf, fileStat, placementAfterFold } from "../../../src/infra/rollout/FileStat.js"

describe("file facts and placement", () => {
  it("nothing at a path, or a path through a file, is undefined, never a throw", () => {
    const dir = mkdtempSync(join(tmpdir(), "stat-"))
    const file = join(dir, "f")
    writeFileSync(file, "abc")
    expect(fileStat(join(dir, "missing"))).toBeUndefined()
    expect(fileStat(join(file, "below-a-file"))).toBeUndefined()
    expect(fileStat(file)?.size).toBe(3)
  })

  it("an archived file's archive time is its mtime in whole milliseconds; a live file has none", () => {
    expect(archivedAtOf(true, 1700000000123.9)).toBe(1700000000123)
    expect(archivedAtOf(false, 1700000000123.9)).toBeNull()
  })

  it("a fold places its thread at the file, the fold's end and the file's size then", () => {
    const dir = mkdtempSync(join(tmpdir(), "stat-"))
    const file = join(dir, "f")
    writeFileSync(file, "line\ntorn")
    utimesSync(file, new Date(1_700_000_000_000), new Date(1_700_000_000_000))
    const facts = fileStat(file)!
    expect(
      placementAfterFold({ path: file, archived: true }, facts, { offset: 5, nextLineNumber: 2, tornTailBytes: 4 })
    )
      .toEqual({
        rolloutPath: file,
        archived: true,
        archivedAt: 1_700_000_000_000,
        projectedOffset: 5,
        projectedLines: 1,
        fileSize: 9
      })
  })
})
