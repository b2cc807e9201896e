/**
 * Every temporary folder a test makes (`os.tmpdir()`, in the test workers and the processes they
 * start) lands under one folder per run, removed when the run ends, pass or fail.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "rollout-state-tests-"))
  process.env["TMPDIR"] = root
  return () => rmSync(root, { recursive: true, force: true })
}
