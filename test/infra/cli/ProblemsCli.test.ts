import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { DEFAULT_MAX_LINE_BYTES } from "../../../src/infra/rollout/LineFramer.js"
import { CLI } from "../../fixtures/cli.js"

const cli = (...args: Array<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
      }
    )
  })

interface Problems {
  readonly problems: ReadonlyArray<{ readonly file: string; readonly line: number | null; readonly reason: string }>
  readonly problemsOmitted: number
  readonly parseErrors?: number
}

const root = mkdtempSync(join(tmpdir(), "problems-cli-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const meta = (id: string, at: string) =>
  JSON.stringify({
    timestamp: at,
    type: "session_meta",
    payload: {
      id,
      timestamp: at,
      cwd: "/w",
      originator: "t",
      cli_version: "0",
      source: "cli",
      model_provider: "openai"
    }
  })
const user = (text: string, at: string) =>
  JSON.stringify({ timestamp: at, type: "event_msg", payload: { type: "user_message", message: text } })

/** Writes a rollout of the 2026-01-0`day` folder; returns its path. */
const rollout = (home: string, day: number, id: string, lines: ReadonlyArray<string | Buffer>) => {
  const dir = join(home, "sessions", "2026", "01", `0${day}`)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `rollout-2026-01-0${day}T10-00-00-${id}.jsonl`)
  writeFileSync(file, Buffer.concat(lines.map((l) => Buffer.concat([Buffer.from(l), Buffer.from("\n")]))))
  return file
}

describe("--json reports list their problems (SPEC §10: what and where)", () => {
  it("backfill, rebuild, verify and reconcile list each problem with file, line and reason, capped with problemsOmitted; an over-cap line is a parse error", async () => {
    const home = join(root, "home")
    const at = "2026-01-01T10:00:00.000Z"
    const idA = "019b0000-0000-7000-8000-00000000000a"
    const idB = "019b0000-0000-7000-8000-00000000000b"
    const idC = "019b0000-0000-7000-8000-00000000000c"
    // Line 3 of A is just over the reader's cap: skipped unread.
    const huge = Buffer.alloc(DEFAULT_MAX_LINE_BYTES + 1024, "x")
    huge.write("{\"timestamp\":\"", 0)
    const fileA = rollout(home, 1, idA, [meta(idA, at), user("first", at), huge, user("after", at)])
    const fileB = rollout(home, 2, idB, [meta(idB, at), "not json at all", user("b", at)])
    const fileC = rollout(home, 3, idC, [meta(idC, at), ...Array.from({ length: 260 }, (_, i) => `{bad ${i}`)])
    const expectProblems = (report: Problems) => {
      expect(report.problems).toHaveLength(200)
      expect(report.problemsOmitted).toBe(62)
      expect(report.problems[0]).toEqual({
        file: fileA,
        line: 3,
        reason: `line of ${huge.length} bytes exceeds the ${DEFAULT_MAX_LINE_BYTES}-byte cap; skipped`
      })
      expect(report.problems[1]).toMatchObject({ file: fileB, line: 2 })
      expect(report.problems[2]).toMatchObject({ file: fileC, line: 2 })
      expect(report.problems.every((p) => p.reason.length > 0 && !p.reason.startsWith(p.file))).toBe(true)
    }

    const backfill = await cli("backfill", "--home", home, "--json")
    expect(backfill.code).toBe(0)
    const backfilled = JSON.parse(backfill.stdout) as Problems
    expect(backfilled.parseErrors).toBe(262)
    expectProblems(backfilled)

    const rebuilt = JSON.parse((await cli("rebuild", "--home", home, "--json")).stdout) as Problems
    expect(rebuilt.parseErrors).toBe(262)
    expectProblems(rebuilt)

    const verify = await cli("verify", "--home", home, "--json")
    expect(verify.code).toBe(0)
    expectProblems(JSON.parse(verify.stdout) as Problems)

    const reconcile = await cli("reconcile", "--home", home, "--json")
    expect(reconcile.code).toBe(0)
    expectProblems(JSON.parse(reconcile.stdout) as Problems)
  })
})
