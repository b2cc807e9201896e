import Sqlite from "better-sqlite3"
import { execFile, spawn } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CLI } from "../../fixtures/cli.js"
import { generateHome } from "../../fixtures/generateHome.js"

const FILES = 1200

interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

const cli = (...args: Array<string>) =>
  new Promise<Run>((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), signal: null, stdout, stderr })
    })
  })

/** Starts the CLI; `stop` sends `signal` once `started()` holds and resolves with how it ended. */
const started = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += String(chunk)))
  child.stderr.on("data", (chunk) => (stderr += String(chunk)))
  const exited = new Promise<Run>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  return {
    stop: async (signal: NodeJS.Signals, ready: () => boolean): Promise<Run> => {
      let finished = false
      void exited.then(() => (finished = true))
      // Observable progress, not a fixed sleep: the machine may be loaded.
      while (!finished && !ready()) await new Promise((r) => setTimeout(r, 20))
      expect(finished, `exited before it got going: ${stderr}`).toBe(false)
      child.kill(signal)
      return exited
    }
  }
}

/** A query on the CLI's database from a connection of the test's own; undefined while it cannot. */
const query = <A>(file: string, sql: string): A | undefined => {
  if (!existsSync(file)) return undefined
  try {
    const db = new Sqlite(file, { readonly: true, fileMustExist: true })
    try {
      return db.prepare(sql).get() as A
    } finally {
      db.close()
    }
  } catch {
    return undefined
  }
}

let root: string
let template: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "signals-cli-"))
  template = join(root, "template")
  await generateHome({ dir: template, files: FILES, totalBytes: 16_000_000, seed: 11 })
  expect((await cli("backfill", "--home", template)).code).toBe(0)
}, 120_000)

afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A copy of the template home, with its backfilled database or without one. */
const freshHome = (name: string, options: { readonly database: boolean }) => {
  const home = join(root, name)
  cpSync(template, home, {
    recursive: true,
    // The open's catch-up re-projects archived files whose mtime moved; a faithful copy keeps them.
    preserveTimestamps: true,
    filter: (source) => options.database || !source.startsWith(join(template, "state.sqlite"))
  })
  const db = join(home, "state.sqlite")
  if (options.database) {
    // The rows name the template's files; the copy's files would be new ones to the open's catch-up.
    const relocate = new Sqlite(db)
    relocate.prepare("UPDATE threads SET rollout_path = replace(rollout_path, ?, ?)").run(template, home)
    relocate.close()
  }
  return { home, db }
}

describe("SIGINT and SIGTERM (CLI, SPEC §12)", () => {
  it("backfill stopped by SIGINT keeps its last checkpoint, says how far it got, exits 130, and the next backfill finishes", async () => {
    const { db, home } = freshHome("backfill", { database: false })
    const run = started(["backfill", "--home", home, "--json"])
    const stopped = await run.stop(
      "SIGINT",
      () => query<{ w: string | null }>(db, "SELECT last_watermark AS w FROM backfill_state")?.w != null
    )
    expect(stopped.signal).toBeNull()
    expect(stopped.code).toBe(130)
    const said =
      /backfill interrupted by SIGINT after ([\d,]+) of 1,200 files; the next backfill resumes from the checkpoint/
        .exec(stopped.stderr)
    expect(said, stopped.stderr).not.toBeNull()
    const done = Number(said![1]!.replace(/,/g, ""))
    expect(done).toBeGreaterThan(0)
    expect(done).toBeLessThan(FILES)
    expect(JSON.parse(stopped.stdout)).toMatchObject({ scanned: done, upserted: done, status: "interrupted" })
    // The checkpoint and the rows agree: the signal landed between batches.
    expect(query(db, "SELECT status, (SELECT COUNT(*) FROM threads) AS rows FROM backfill_state")).toEqual({
      status: "pending",
      rows: done
    })

    const resumed = await cli("backfill", "--home", home, "--json")
    expect(resumed.code).toBe(0)
    expect(JSON.parse(resumed.stdout)).toMatchObject({ scanned: FILES - done, status: "complete" })
    expect((await cli("verify", "--home", home)).code).toBe(0)
  })

  it("verify of a tampered database stopped by SIGTERM exits 143, never 0, and removes its temporary database", async () => {
    const { db, home } = freshHome("verify", { database: true })
    const tamper = new Sqlite(db)
    tamper.prepare("UPDATE threads SET title = 'tampered' WHERE rowid = (SELECT MIN(rowid) FROM threads)").run()
    tamper.close()
    const temp = join(root, "verify-tmp")
    mkdirSync(temp)
    const rebuilding = () =>
      readdirSync(temp).some((d) =>
        d.startsWith("rollout-state-verify-") && existsSync(join(temp, d, "rebuilt.sqlite"))
      )
    const stopped = await started(["verify", "--home", home, "--json"], { TMPDIR: temp }).stop("SIGTERM", rebuilding)
    expect(stopped.signal).toBeNull()
    expect(stopped.code).toBe(143)
    expect(stopped.stderr).toMatch(
      /verify interrupted by SIGTERM (after rebuilding [\d,]+ of 1,200 files|before its first batch was done); nothing was verified/
    )
    expect(JSON.parse(stopped.stdout)).toMatchObject({ ok: false, status: "interrupted" })
    expect(readdirSync(temp).filter((d) => d.startsWith("rollout-state-"))).toEqual([])
    expect((await cli("verify", "--home", home)).code).toBe(1)
  })

  it("rebuild stopped by SIGTERM exits 143 and says the projections are incomplete; a rebuild then makes verify pass", async () => {
    const { db, home } = freshHome("rebuild", { database: true })
    const stopped = await started(["rebuild", "--home", home]).stop(
      "SIGTERM",
      () => (query<{ n: number }>(db, "SELECT COUNT(*) AS n FROM threads WHERE file_size >= 0")?.n ?? FILES) < FILES
    )
    expect(stopped.code).toBe(143)
    expect(stopped.stderr).toMatch(
      /rebuild interrupted by SIGTERM (after [\d,]+ of 1,200 files|before its first batch was done); the projections are incomplete until rebuild runs again/
    )
    expect((await cli("rebuild", "--home", home)).code).toBe(0)
    expect((await cli("verify", "--home", home)).code).toBe(0)
  })

  it("reconcile --repair stopped by SIGINT while repairing exits 130 and says to repair again; a second repair makes verify pass", async () => {
    const { db, home } = freshHome("reconcile", { database: true })
    const tamper = new Sqlite(db)
    // Drift the open's catch-up cannot see (it compares file sizes), so reconcile's repair is what restores it.
    tamper.prepare("UPDATE threads SET title = 'tampered'").run()
    tamper.close()
    const stopped = await started(["reconcile", "--home", home, "--repair", "--json"]).stop(
      "SIGINT",
      () => (query<{ n: number }>(db, "SELECT COUNT(*) AS n FROM threads WHERE title <> 'tampered'")?.n ?? 0) > 0
    )
    expect(stopped.code).toBe(130)
    expect(stopped.stderr).toMatch(
      /reconcile interrupted by SIGINT after checking 1,200 of 1,200 files; no differences reported; a repair may be partly done: run reconcile --repair again/
    )
    expect(JSON.parse(stopped.stdout)).toMatchObject({ status: "interrupted", scanned: FILES, total: FILES })
    expect((await cli("reconcile", "--home", home, "--repair")).code).toBe(0)
    expect((await cli("verify", "--home", home)).code).toBe(0)
  })
})
