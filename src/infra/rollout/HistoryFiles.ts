/**
 * A listing's files as the threads they fold into (paginated history, SPEC §1).
 * @since 0.1.0
 */
import { basename } from "node:path"
import { compareHistoryFiles } from "../../domain/HistoryPages.js"
import type { RolloutFile } from "./RolloutFiles.js"
import { rolloutIdentity } from "./RolloutIdentity.js"

/**
 * Each file on its own, except a thread's continuing pages, which follow the file that starts
 * the thread, in fold order. Of several files starting one thread (copies), the last listed takes
 * the pages, as a backfill in listing order leaves it; the others stay on their own. Only the
 * files of an id more than one file names have their first lines read. Groups come in the
 * listing order of their first file.
 * @since 0.1.0
 */
export const threadFileGroups = (files: ReadonlyArray<RolloutFile>): Array<ReadonlyArray<RolloutFile>> => {
  const byId = new Map<string, Array<RolloutFile>>()
  for (const file of files) {
    const list = byId.get(file.name.threadId)
    if (list === undefined) byId.set(file.name.threadId, [file])
    else list.push(file)
  }
  const groupOf = new Map<RolloutFile, Array<RolloutFile>>()
  for (const [id, list] of byId) {
    if (list.length === 1) continue
    const continuation = new Set(list.filter((file) => {
      const identity = rolloutIdentity(file.path)
      return identity._tag === "Present" && identity.continuation && identity.threadId === id
    }))
    if (continuation.size === 0) continue
    const starts = list.filter((file) => !continuation.has(file))
    const start = starts[starts.length - 1]
    const group = [...(start === undefined ? [] : [start]), ...continuation].sort((a, b) =>
      compareHistoryFiles(
        { name: basename(a.path), continuation: continuation.has(a), nameTimestamp: a.name.nameTimestamp },
        { name: basename(b.path), continuation: continuation.has(b), nameTimestamp: b.name.nameTimestamp }
      )
    )
    for (const file of group) groupOf.set(file, group)
  }
  const groups: Array<ReadonlyArray<RolloutFile>> = []
  const emitted = new Set<ReadonlyArray<RolloutFile>>()
  for (const file of files) {
    const group = groupOf.get(file)
    if (group === undefined) groups.push([file])
    else if (!emitted.has(group)) {
      emitted.add(group)
      groups.push(group)
    }
  }
  return groups
}
