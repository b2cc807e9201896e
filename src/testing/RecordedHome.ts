/**
 * A home as a host's recorder leaves it before any engine opened it: one rollout per thread,
 * each a single `session_meta` line, one second apart.
 * @since 0.1.0
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { encodeRolloutLine } from "../domain/RolloutItem.js"
import { newRolloutPath } from "../infra/rollout/Layout.js"
import { threadIdOf } from "./ThreadIds.js"

/**
 * Writes `count` rollouts under `home` and returns their thread ids, in the order written.
 * @since 0.1.0
 */
export const writeRecordedHome = (home: string, count: number): ReadonlyArray<string> =>
  Array.from({ length: count }, (_, i) => {
    const id = threadIdOf(`t${String(i).padStart(5, "0")}`)
    const at = Date.UTC(2030, 0, 1) + i * 1000
    const path = newRolloutPath(home, id, at)
    mkdirSync(dirname(path), { recursive: true })
    const timestamp = new Date(at).toISOString()
    writeFileSync(
      path,
      encodeRolloutLine({
        type: "session_meta",
        timestamp,
        payload: { id, timestamp, cwd: "/recorded", cli_version: "1", source: "cli" }
      })
    )
    return id
  })
