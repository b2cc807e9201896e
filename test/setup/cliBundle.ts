/**
 * The command line the CLI tests run: bundled once per run into a scratch package laid out as
 * `npm pack` ships it (package.json, migrations/, node_modules, dist/cli). A process of the
 * bundle starts in a fraction of what `node --import tsx src/…/main.ts` takes (docs/decisions.md,
 * "CLI tests run the bundle"), and it is what operators run. Runs after tempRoot.ts.
 */
import { execFileSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const ROOT = join(import.meta.dirname, "../..")

export default function setup(): void {
  const pkg = mkdtempSync(join(tmpdir(), "cli-package-"))
  cpSync(join(ROOT, "package.json"), join(pkg, "package.json"))
  cpSync(join(ROOT, "migrations"), join(pkg, "migrations"), { recursive: true })
  symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"))
  execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts/bundle.ts"), join(pkg, "dist/cli")], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"]
  })
  const cache = join(pkg, "code-cache")
  mkdirSync(cache)
  process.env["ROLLOUT_STATE_TEST_CLI"] = join(pkg, "dist/cli/bin.cjs")
  // The bin's V8 code cache goes to the run's folder, never the user's ~/.cache.
  process.env["ROLLOUT_STATE_CACHE_DIR"] = cache
}
