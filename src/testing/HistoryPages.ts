/**
 * Paginated history as a host writes it (SPEC §1): a new file for a thread, named with its id
 * and a later time, whose first line is a session meta continuing the thread.
 * @since 0.1.0
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { encodeRolloutLine } from "../domain/RolloutItem.js"
import type { WritableItem } from "../infra/engine/Engine.js"
import { newRolloutPath } from "../infra/rollout/Layout.js"

/** The first line of a page continuing `threadId`; `pageId` is its own meta id (the thread's by default). */
export const pageMeta = (threadId: string, at: number, pageId = threadId): WritableItem => ({
  type: "session_meta",
  timestamp: new Date(at).toISOString(),
  payload: {
    id: pageId,
    timestamp: new Date(at).toISOString(),
    cwd: "/work/paged",
    cli_version: "0.150.0",
    source: "cli",
    history_mode: "paginated",
    history_base: { thread_id: threadId }
  }
})

/** Writes a new page of the thread, created at `at` (its name and date folder), with `items` after its meta. */
export const writePage = (
  home: string,
  threadId: string,
  at: number,
  items: ReadonlyArray<WritableItem> = [],
  pageId?: string
): string => {
  const path = newRolloutPath(home, threadId, at)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, [pageMeta(threadId, at, pageId), ...items].map(encodeRolloutLine).join(""), { flag: "wx" })
  return path
}
