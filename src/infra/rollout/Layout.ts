/**
 * Where a home keeps its rollouts (SPEC §1): live ones under `sessions/YYYY/MM/DD/` of the
 * date in their name, archived ones flat under `archived_sessions/`. Every path the engine
 * makes for a thread's file comes from here.
 * @since 0.1.0
 */
import { join, sep } from "node:path"
import { rolloutFileNameFor } from "../../domain/RolloutFileName.js"

/** @since 0.1.0 */
export const SESSIONS_DIR = "sessions"

/** @since 0.1.0 */
export const ARCHIVED_SESSIONS_DIR = "archived_sessions"

/**
 * Where a file with this base name lives when not archived: the date folders of its name.
 * @since 0.1.0
 */
export const liveRolloutPath = (home: string, fileName: string): string => {
  const date = /^rollout-(\d{4})-(\d{2})-(\d{2})/.exec(fileName)
  return date === null
    ? join(home, SESSIONS_DIR, fileName)
    : join(home, SESSIONS_DIR, date[1]!, date[2]!, date[3]!, fileName)
}

/**
 * Where a file with this base name lives once archived (flat, SPEC §1).
 * @since 0.1.0
 */
export const archivedRolloutPath = (home: string, fileName: string): string =>
  join(home, ARCHIVED_SESSIONS_DIR, fileName)

/**
 * Where a new thread's file goes: named and foldered by its local creation time.
 * @since 0.1.0
 */
export const newRolloutPath = (home: string, threadId: string, createdAtMs: number): string =>
  liveRolloutPath(home, rolloutFileNameFor(threadId, new Date(createdAtMs)))

/**
 * Where an archive or unarchive puts a file of this base name: the places a file missing from
 * its recorded path is looked for, archived first.
 * @since 0.1.0
 */
export const movedPlaces = (
  home: string,
  fileName: string
): ReadonlyArray<{ readonly path: string; readonly archived: boolean }> => [
  { path: archivedRolloutPath(home, fileName), archived: true },
  { path: liveRolloutPath(home, fileName), archived: false }
]

/**
 * Whether a path is under the home's `archived_sessions/` (where the listing says archived).
 * @since 0.1.0
 */
export const isArchivedRolloutPath = (home: string, path: string): boolean =>
  path.startsWith(join(home, ARCHIVED_SESSIONS_DIR) + sep)
