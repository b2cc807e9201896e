#!/usr/bin/env node
/**
 * The `rollout-state` executable (bundled by scripts/bundle.ts into dist/cli/bin.cjs): runs
 * the bundled command line `main.cjs` beside it through a V8 code cache, so a start compiles
 * next to nothing (Node 20 has no module compile cache; docs/decisions.md, "CLI start-up").
 * The cache is only an accelerator: when it cannot be read or written, the CLI runs without.
 * @since 0.1.0
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { createRequire, wrap } from "node:module"
import { homedir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Script } from "node:vm"

const file = join(dirname(fileURLToPath(import.meta.url)), "main.cjs")
const source = readFileSync(file, "utf8")
const { mtimeMs, size } = statSync(file)
const dir = process.env["ROLLOUT_STATE_CACHE_DIR"] ||
  join(process.env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "rollout-state")
const cacheFile = join(dir, `main-${size}-${Math.floor(mtimeMs)}-${process.version}.v8cache`)
let cachedData: Buffer | undefined
try {
  cachedData = readFileSync(cacheFile)
} catch {
  cachedData = undefined
}
const script = new Script(wrap(source), { filename: file, ...(cachedData === undefined ? {} : { cachedData }) })
if (cachedData === undefined || script.cachedDataRejected === true) {
  // Taken at exit: by then the functions this run used are compiled and go into the cache.
  process.once("exit", () => {
    try {
      mkdirSync(dir, { recursive: true })
      const partial = `${cacheFile}.${process.pid}`
      writeFileSync(partial, script.createCachedData())
      renameSync(partial, cacheFile)
    } catch {
      // No cache this time: the next start compiles again.
    }
  })
}
const main = script.runInThisContext() as (
  exports: object,
  require: NodeRequire,
  module: { exports: object },
  filename: string,
  dirname: string
) => void
const module = { exports: {} }
main(module.exports, createRequire(file), module, file, dirname(file))
