/**
 * How the CLI sees a home (SPEC §12): one home whatever it is called, and every entry under it
 * either projected or reported.
 */
import { execFile, execFileSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { CLI } from "../../fixtures/cli.js"
import { CORPUS_HOME } from "../../fixtures/corpus.js"

/** By URL: these runs start in the sandbox, where `--import tsx` would not resolve. */

const cli = (cwd: string, ...args: Array<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
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

  it(
    "backfill, rebuild and scan follow symlinks and report each entry left out, with path and reason, on stderr and in --json",
    async () => {
      const dir = sandbox()
      const home = join(dir, "home")
      cpSync(CORPUS_HOME, home, { recursive: true })
      renameSync(join(home, "sessions/2025/11"), join(dir, "november"))
      symlinkSync(join(dir, "november"), join(home, "sessions/2025/11"))
      symlinkSync(join(dir, "nowhere"), join(home, "sessions/2025/broken.jsonl"))
      execFileSync("mkfifo", [join(home, "sessions/2025/pipe.jsonl")])
      mkdirSync(join(home, "sessions/2025/folder.jsonl"))
      writeFileSync(Buffer.from(`${join(home, "sessions/2025")}/rollout-\xff.jsonl`, "latin1"), "{}\n")
      const real = realpathSync(home)
      const skippedFiles = [
        { path: join(real, "sessions/2025/broken.jsonl"), reason: "broken symbolic link" },
        {
          path: join(real, "sessions/2025/folder.jsonl"),
          reason: "a folder named like a rollout file (its contents are listed)"
        },
        { path: join(real, "sessions/2025/pipe.jsonl"), reason: "not a regular file: a FIFO" },
        { path: join(real, "sessions/2025/rollout-\ufffd.jsonl"), reason: "name is not valid UTF-8" }
      ]
      for (const command of ["backfill", "rebuild"]) {
        const run = await cli(dir, command, "--home", home, "--json")
        expect(run.code).toBe(0)
        expect(JSON.parse(run.stdout)).toMatchObject({ scanned: 3, upserted: 3, skippedFiles })
      }
      const text = await cli(dir, "backfill", "--home", home)
      for (const skipped of skippedFiles) expect(text.stderr).toContain(`skipped ${skipped.path}: ${skipped.reason}`)
      const scan = await cli(dir, "scan", "--home", home, "--json")
      expect(JSON.parse(scan.stdout)).toMatchObject({ skippedFiles })
      expect((JSON.parse(scan.stdout) as { items: Array<unknown> }).items).toHaveLength(3)
    },
    180_000
  )
})
