/** The git library of the memory workspace is loaded when a workspace is used, never by the package's entry. */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"

const ROOT = join(import.meta.dirname, "..", "..")

const probe = (home: string) =>
  new Promise<string>((resolve, reject) => {
    // Node puts the CommonJS modules an ES module imports into require.cache.
    const script = `
      import { createRequire } from "node:module"
      import { Effect } from "effect"
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes("/isomorphic-git/"))
      const entry = await import(${JSON.stringify(join(ROOT, "src/index.ts"))})
      const atImport = loaded()
      await Effect.runPromise(Effect.either(entry.MemoryWorkspace.diffAt(${JSON.stringify(home)})))
      console.log(JSON.stringify({ atImport, afterUse: loaded() }))
    `
    execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { cwd: ROOT },
      (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`)))
    )
  })

const dirs: Array<string> = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe("the package entry", () => {
  it("does not load isomorphic-git until a workspace is diffed", async () => {
    const home = mkdtempSync(join(tmpdir(), "lazy-git-"))
    dirs.push(home)
    expect(JSON.parse(await probe(home))).toEqual({ atImport: false, afterUse: true })
  }, 120_000)
})
