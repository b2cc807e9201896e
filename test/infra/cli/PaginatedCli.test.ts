import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { describe, expect, it } from "vitest"
import { encodeRolloutLine } from "../../../src/domain/RolloutItem.js"
import type { ThreadJson } from "../../../src/infra/cli/ThreadJson.js"
import { newRolloutPath } from "../../../src/infra/rollout/Layout.js"
import { CLI } from "../../fixtures/cli.js"
import { writePage } from "../../fixtures/historyPages.js"

const cli = (...args: Array<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })
    })
  })

const ID = "019a9f10-1111-7222-8333-444455556666"
const T0 = Date.UTC(2026, 5, 1, 9, 0, 0)
const DAY = 86_400_000

describe("paginated history (CLI)", () => {
  it("lists a thread written over two files as one, searches both, and verifies", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-paged-"))
    const home = join(dir, "home")
    const base = newRolloutPath(home, ID, T0)
    mkdirSync(dirname(base), { recursive: true })
    writeFileSync(
      base,
      [
        {
          type: "session_meta" as const,
          timestamp: new Date(T0).toISOString(),
          payload: {
            id: ID,
            timestamp: new Date(T0).toISOString(),
            cwd: "/work/paged",
            cli_version: "1",
            source: "cli"
          }
        },
        {
          type: "event_msg" as const,
          timestamp: new Date(T0 + 1).toISOString(),
          payload: { type: "user_message", message: "fix the flaky login test" }
        }
      ].map(encodeRolloutLine).join("")
    )
    const page = writePage(home, ID, T0 + DAY, [
      {
        type: "event_msg",
        timestamp: new Date(T0 + DAY + 1).toISOString(),
        payload: { type: "user_message", message: "now the signup page" }
      }
    ])
    const listed = JSON.parse((await cli("threads", "list", "--home", home, "--json")).stdout) as {
      items: Array<ThreadJson>
    }
    expect(listed.items.map((t) => [t.id, t.rolloutPath, t.title])).toEqual([[ID, page, "fix the flaky login test"]])
    const found = await cli("search", "signup", "--home", home, "--json")
    expect(found.code).toBe(0)
    expect(found.stdout).toContain(ID)
    const verified = await cli("verify", "--home", home, "--json")
    expect(verified.code).toBe(0)
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, differences: [] })
    rmSync(dir, { recursive: true, force: true })
  })
})
