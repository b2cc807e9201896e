/**
 * Checks on an installed host project: one copy of effect in its tree, and every source map the
 * package ships points at a file that is in the package.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"

const host = process.argv[2]
if (host === undefined) throw new Error("usage: hostChecks HOST_DIR")
const problems: Array<string> = []

const effectCopies: Array<string> = []
const findEffect = (dir: string) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const path = join(dir, entry.name)
    if (entry.name === "effect" && existsSync(join(path, "package.json"))) effectCopies.push(path)
    else if (entry.name === "node_modules" || entry.name.startsWith("@") || dir.endsWith("node_modules")) {
      findEffect(path)
    }
  }
}
findEffect(join(host, "node_modules"))
if (effectCopies.length !== 1) {
  problems.push(`expected one copy of effect, found ${effectCopies.length}: ${effectCopies.join(", ")}`)
}

interface SourceMap {
  readonly sources: ReadonlyArray<string>
  readonly sourceRoot?: string
}

const pkg = join(host, "node_modules", "rollout-state")
let maps = 0
const checkMaps = (dir: string) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) checkMaps(path)
    else if (entry.name.endsWith(".map")) {
      maps++
      const map = JSON.parse(readFileSync(path, "utf8")) as SourceMap
      for (const source of map.sources) {
        if (!existsSync(resolve(dirname(path), map.sourceRoot ?? "", source))) {
          problems.push(`${path}: source ${source} is not in the package`)
        }
      }
    }
  }
}
checkMaps(pkg)
if (maps === 0) problems.push(`${pkg}: no source maps`)

if (problems.length > 0) {
  for (const problem of problems) console.error(`host-check: ${problem}`)
  process.exit(1)
}
console.log(`host-check: one effect (${effectCopies[0]}), ${maps} source maps resolve`)
