/** The rollout files of a generated home, in a stable order (shared by the bench scripts). */
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
