import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { execFile } from "node:child_process"
import { closeSync, mkdtempSync, openSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../../src/infra/engine/Engine.js"
import * as Database from "../../../src/infra/sqlite/Database.js"
import { CLI } from "../../fixtures/cli.js"
import { generateHome } from "../../fixtures/generateHome.js"
import { mountTinyFileSystem } from "../../fixtures/tinyFileSystem.js"

const cli = (...args: Array<string>) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stderr })
    })
  })

const driverError = (code: string, message: string) => Object.assign(new Error(message), { code })

/** Writes to `dir` until its file system refuses: nothing is left for a database. */
const fill = (dir: string) => {
  const fd = openSync(join(dir, "filler"), "w")
  const block = Buffer.alloc(4096, 1)
  try {
    for (;;) writeSync(fd, block)
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC")
  } finally {
    closeSync(fd)
  }
}

describe("a full disk names the database and says disk full (SPEC §10)", () => {
  it("reasonOf: SQLITE_FULL is disk-full; an I/O error is disk-full only with under 1 MiB free where the database lives", () => {
    const file = "/data/state.sqlite"
    const asked: Array<string> = []
    const free = (bytes: number | undefined) => (at: string) => {
      asked.push(at)
      return bytes
    }
    expect(Database.reasonOf(driverError("SQLITE_FULL", "x"), file, free(50e9))).toBe("disk-full")
    expect(Database.reasonOf(driverError("SQLITE_IOERR_WRITE", "x"), file, free(4096))).toBe("disk-full")
    expect(Database.reasonOf(driverError("SQLITE_IOERR_SHMSIZE", "x"), file, free(0))).toBe("disk-full")
    expect(Database.reasonOf(driverError("SQLITE_IOERR_WRITE", "x"), file, free(100 * 1024 * 1024))).toBe("failed")
    expect(Database.reasonOf(driverError("SQLITE_IOERR", "x"), file, free(undefined))).toBe("failed")
    expect(asked).toEqual([file, file, file, file])
    const error = Database.toDatabaseError(file, "write projections")(
      driverError("SQLITE_FULL", "database or disk is full")
    )
    expect([error.reason, error.message]).toEqual([
      "disk-full",
      "/data/state.sqlite: write projections: disk full: no space left for the database (database or disk is full)"
    ])
  })

  it.effect("a backfill that fills the database fails with disk-full naming the database file, not \"state database\"", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "db-full-"))
      const home = join(dir, "home")
      const file = join(dir, "state.sqlite")
      yield* Effect.promise(() => generateHome({ dir: home, files: 30, totalBytes: 600_000, seed: 5 }))
      const result = yield* Effect.gen(function*() {
        const { sql } = yield* Database.Database
        // No page beyond those the migrations made: the first projection write finds no room.
        const [pages] = yield* sql<{ page_count: number }>`PRAGMA page_count`
        yield* sql.unsafe(`PRAGMA max_page_count = ${pages!.page_count}`)
        return yield* Effect.either((yield* Engine.Engine).backfill())
      }).pipe(Effect.provide(Engine.layer({ home, database: file, openBackfill: false })), Effect.orDie)
      expect(Either.isLeft(result)).toBe(true)
      const error = Either.getLeft(result).pipe((e) => e._tag === "Some" ? e.value : undefined)
      expect(error).toMatchObject({ _tag: "DatabaseError", file, reason: "disk-full" })
      expect(error?.message).toMatch(new RegExp(`^${file}: [a-z ]+: disk full`))
    }))

  it("a COMMIT that finds the disk full is an error naming the database, not a crash with a stack (CLI)", async () => {
    const tiny = mountTinyFileSystem(64 * 1024)
    if (tiny === undefined) {
      // No mount privileges: the classification such a failed COMMIT goes through.
      expect(Database.reasonOf(driverError("SQLITE_FULL", "database or disk is full"), "db", () => 0)).toBe("disk-full")
      return
    }
    try {
      const file = join(tiny.dir, "state.sqlite")
      // The migrations fit in the pages SQLite allocates, not in the WAL their COMMIT writes.
      const run = await cli("backfill", "--home", mkdtempSync(join(tmpdir(), "db-full-home-")), "--db", file)
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(new RegExp(`^rollout-state: ${file}: [a-z ]+: disk full: [^\\n]*\\n$`))
    } finally {
      tiny.release()
    }
  })

  it("a database that cannot be opened on a full file system says disk full and names the file (CLI)", async () => {
    const tiny = mountTinyFileSystem(64 * 1024)
    const file = join(tiny?.dir ?? tmpdir(), "state.sqlite")
    if (tiny === undefined) {
      // No mount privileges: the same classification, with the free space injected.
      expect(Database.reasonOf(driverError("SQLITE_IOERR_WRITE", "disk I/O error"), file, () => 0)).toBe("disk-full")
      return
    }
    try {
      fill(tiny.dir)
      const home = mkdtempSync(join(tmpdir(), "db-full-home-"))
      const run = await cli("backfill", "--home", home, "--db", file)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`${file}: `)
      expect(run.stderr).toMatch(/: (open|migrate): disk full: no space left for the database/)
      expect(run.stderr).not.toMatch(/: (open|migrate): disk I\/O error/)
    } finally {
      tiny.release()
    }
  })
})
