import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as Database from "../../../src/infra/sqlite/Database.js"
import { expectUnwritable, restrictedNode, setWritable } from "../../fixtures/restricted.js"

const READER = join(import.meta.dirname, "../../fixtures/readonlyReader.ts")
const REPO = join(import.meta.dirname, "../../..")

const root = mkdtempSync(join(tmpdir(), "readonly-db-"))
afterAll(() => {
  setWritable(root, true)
  rmSync(root, { recursive: true, force: true })
})

/**
 * A WAL database whose writer died before a checkpoint (its commits only in `-wal`, `-shm`
 * left behind), or that closed cleanly (everything in the file, no WAL files).
 */
const database = (name: string, crashed: boolean): string => {
  const dir = join(root, name)
  mkdirSync(dir)
  const file = join(dir, "state.sqlite")
  const script = `const Sqlite = require("better-sqlite3")
const db = new Sqlite(${JSON.stringify(file)})
db.pragma("journal_mode = WAL")
db.pragma("wal_autocheckpoint = 0")
db.exec("CREATE TABLE t (x INTEGER)")
db.prepare("INSERT INTO t VALUES (1), (2), (3)").run()
${crashed ? "process.exit(0)" : "db.close()"}`
  execFileSync(process.execPath, ["-e", script], { cwd: REPO })
  expect(existsSync(`${file}-wal`)).toBe(crashed)
  return file
}

const readAsRestricted = async (file: string) => {
  const result = await restrictedNode(["--import", "tsx", READER, file])
  expect(result.stderr).toBe("")
  return JSON.parse(result.stdout) as { writable: boolean; rows: Array<number> }
}

describe("a read-only database (SPEC §12)", () => {
  it("opens in a folder this process cannot write, with or without its WAL files, and reads every commit", async () => {
    const withWal = database("with-wal", true)
    const walOnly = database("wal-only", true)
    rmSync(`${walOnly}-shm`)
    const clean = database("clean", false)
    expect(Database.isWritable(clean)).toBe(true)
    setWritable(root, false)
    await expectUnwritable(join(root, "clean"))
    const before = readdirSync(root, { recursive: true, encoding: "utf8" }).sort()
    for (const file of [withWal, walOnly, clean]) {
      expect({ file, ...(await readAsRestricted(file)) }).toEqual({ file, writable: false, rows: [1, 2, 3] })
    }
    expect(readdirSync(root, { recursive: true, encoding: "utf8" }).sort()).toEqual(before)
  }, 60_000)
})
