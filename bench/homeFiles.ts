/** The rollout files of a generated home, in a stable order (shared by the bench scripts). */
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

export const rolloutFiles = (home: string): Array<string> =>
  ["sessions", "archived_sessions"]
    .map((sub) => join(home, sub))
    .filter(existsSync)
    .flatMap((root) =>
      (readdirSync(root, { recursive: true }) as Array<string>)
        .filter((name) => name.endsWith(".jsonl"))
        .map((name) => join(root, name))
    )
    .sort()

/**
 * Drops the files' pages from the page cache (`dd iflag=nocache`, i.e. POSIX_FADV_DONTNEED,
 * which Node does not expose), so the next read comes from the disk as it does for a home far
 * larger than memory. Dirty pages are not dropped: the bench's corpora are written long before.
 */
export const evictFromPageCache = (files: ReadonlyArray<string>): void => {
  for (let i = 0; i < files.length; i += 500) {
    execFileSync("sh", [
      "-c",
      "for f; do dd if=\"$f\" iflag=nocache count=0 status=none || exit 1; done",
      "evict",
      ...files.slice(i, i + 500)
    ], {
      stdio: ["ignore", "ignore", "inherit"]
    })
  }
}
