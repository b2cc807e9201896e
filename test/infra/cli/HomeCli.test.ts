/**
 * How the CLI sees a home (SPEC §12): one home whatever it is called, and every entry under it
 * either projected or reported.
 */
import { execFile } from "node:child_process"
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterEach, describe, expect, it } from "vitest"
import { CORPUS_HOME } from "../../fixtures/corpus.js"

const MAIN = join(import.meta.dirname, "../../../src/infra/cli/main.ts")
/** By URL: these runs start in the sandbox, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(join(import.meta.dirname, "../../../node_modules/tsx/dist/loader.mjs")).href

const cli = (cwd: string, ...args: Array<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", TSX, MAIN, ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
      }
    )
  })

const dirs: Array<string> = []
const sandbox = () => {
  const dir = mkdtempSync(join(tmpdir(), "cli-home-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

interface BackfillJson {
  readonly scanned: number
  readonly upserted: number
}

describe("rollout-state and the name of a home (CLI)", () => {
  it(
    "a home backfilled under a relative name verifies under its absolute one, and under a symlink nothing is re-projected",
    async () => {
      const dir = sandbox()
      cpSync(CORPUS_HOME, join(dir, "hr"), { recursive: true })
      symlinkSync(join(dir, "hr"), join(dir, "link"))
      const first = await cli(dir, "backfill", "--home", "hr", "--db", join(dir, "state.sqlite"), "--json")
      expect(first.code).toBe(0)
      expect((JSON.parse(first.stdout) as BackfillJson).upserted).toBe(3)
      const verified = await cli(dir, "verify", "--home", join(dir, "hr"), "--db", join(dir, "state.sqlite"))
      expect([verified.code, verified.stdout]).toEqual([0, expect.stringContaining("verify ok")])
      const again = await cli(dir, "backfill", "--home", "link", "--db", join(dir, "state.sqlite"), "--json")
      expect(JSON.parse(again.stdout)).toMatchObject({ scanned: 3, upserted: 0 })
    },
    120_000
  )
})
