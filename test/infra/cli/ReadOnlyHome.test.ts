import Sqlite from "better-sqlite3"
import { Effect } from "effect"
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as Database from "../../../src/infra/sqlite/Database.js"
import * as LogStore from "../../../src/infra/stores/LogStore.js"
import { CLI } from "../../fixtures/cli.js"
import { expectUnwritable, restrictedNode, run, setWritable } from "../../fixtures/restricted.js"

const cli = (...args: Array<string>) => run(process.execPath, [CLI, ...args])
const readOnlyCli = (...args: Array<string>) => restrictedNode([CLI, ...args])

/** Every path under `dir` with its size and mtime: what a write would change. */
const snapshot = (dir: string): Array<string> =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).sort().map((name) => {
    const info = statSync(join(dir, name))
    return `${name} ${info.size} ${info.mtimeMs}`
  })

const root = mkdtempSync(join(tmpdir(), "readonly-home-"))
afterAll(() => {
  setWritable(root, true)
  rmSync(root, { recursive: true, force: true })
})

const addLogLine = (file: string) =>
  Effect.runPromise(
    Effect.flatMap(LogStore.make, (store) =>
      store.insert([LogStore.entry({
        ts: 1_750_000_000,
        tsNanos: 0,
        level: "WARN",
        message: "slow fold",
        feedbackLogBody: "slow fold",
        threadId: null
      })])).pipe(
        Effect.provide(Database.layer({ file }))
      )
  )

describe("read-only homes (SPEC §12)", () => {
  it(
    "threads list|show|turns, logs, verify and scan answer on a home and database this process cannot write",
    async () => {
      expect((await cli("demo", "--dir", root)).code).toBe(0)
      const home = join(root, "home")
      await addLogLine(join(home, "state.sqlite"))
      const listed = JSON.parse((await cli("threads", "list", "--home", home, "--json")).stdout) as {
        items: Array<{ id: string }>
      }
      expect(listed.items.length).toBeGreaterThan(1)
      const id = listed.items[0]!.id
      const file = join(home, "state.sqlite")
      const withTools = (() => {
        const db = new Sqlite(file, { readonly: true })
        try {
          return (db.prepare("SELECT thread_id FROM thread_dynamic_tools LIMIT 1").get() as { thread_id: string })
            .thread_id
        } finally {
          db.close()
        }
      })()
      const commands: Array<Array<string>> = [
        ["threads", "list", "--json"],
        ["threads", "list", "--archived", "only"],
        ["threads", "show", id, "--json"],
        ["threads", "turns", id],
        ["logs"],
        ["verify", "--json"],
        ["scan", "--json"]
      ]
      const expected = async (command: Array<string>) => {
        const result = await cli(...command, "--home", home)
        expect({ command, code: result.code }).toEqual({ command, code: 0 })
        return result.stdout
      }
      const writable: Array<string> = []
      for (const command of commands) writable.push(await expected(command))
      const showTools = ["threads", "show", withTools, "--json"]
      const toolsShown = await expected(showTools)

      const answers = async (command: Array<string>, stdout: string) => {
        const result = await readOnlyCli(...command, "--home", home)
        expect({ command, code: result.code, stderr: result.stderr }).toEqual({ command, code: 0, stderr: "" })
        expect(result.stdout).toBe(stdout)
      }
      setWritable(home, false)
      const before = snapshot(home)
      await expectUnwritable(home)
      for (const [index, command] of commands.entries()) await answers(command, writable[index]!)
      expect(snapshot(home)).toEqual(before)

      // A database written by a release without tool rows: `show` reads them from the file, and
      // cannot store them here.
      setWritable(home, true)
      const db = new Sqlite(file)
      db.prepare("DELETE FROM thread_dynamic_tools").run()
      db.close()
      setWritable(home, false)
      await answers(showTools, toolsShown)
    },
    180_000
  )
})
