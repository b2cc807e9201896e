/**
 * `rollout-state scan`: reads a home's rollouts and prints the folded threads, without
 * touching any database (a dry run of what a backfill would project).
 * @since 0.1.0
 */
import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { stat } from "node:fs/promises"
import type { RolloutFile } from "../rollout/RolloutFiles.js"
import type { ReadIssue } from "../rollout/RolloutIssue.js"
import { DEFAULT_MODEL_PROVIDER, home, json, resolveHome } from "./GlobalOptions.js"
import { makeProgress } from "./Progress.js"
import { type ThreadJson, threadJson, threadLine } from "./ThreadJson.js"

const byThread = (files: ReadonlyArray<RolloutFile>): Map<string, Array<RolloutFile>> => {
  const groups = new Map<string, Array<RolloutFile>>()
  for (const file of files) {
    const group = groups.get(file.name.threadId)
    if (group === undefined) groups.set(file.name.threadId, [file])
    else group.push(file)
  }
  for (const group of groups.values()) {
    group.sort((a, b) => a.name.nameTimestamp - b.name.nameTimestamp || (a.relativePath < b.relativePath ? -1 : 1))
  }
  return groups
}

/** @since 0.1.0 */
export const scanCommand = Command.make("scan", { home, json }, (options) =>
  Effect.gen(function*() {
    // Loaded when the command runs, not when the command line starts.
    const [{ canonicalHome, listRolloutFiles }, { foldRolloutFile, initialStateForFile }] = yield* Effect.promise(
      () => Promise.all([import("../rollout/RolloutFiles.js"), import("../rollout/RolloutFold.js")])
    )
    const homeDir = yield* canonicalHome(resolveHome(options.home))
    const listing = yield* listRolloutFiles(homeDir)
    const groups = byThread(listing.files)
    const progress = makeProgress("scan", listing.files.length, !options.json)
    const threads: Array<ThreadJson> = []
    const issues: Array<ReadIssue> = []
    let parseErrors = 0
    let unknown = 0
    let done = 0
    for (const group of groups.values()) {
      let state = initialStateForFile(group[0]!.path, DEFAULT_MODEL_PROVIDER)
      for (const file of group) {
        const folded = yield* foldRolloutFile(file.path, {
          defaultModelProvider: DEFAULT_MODEL_PROVIDER,
          resume: { state, offset: 0, nextLineNumber: 1 }
        })
        state = folded.state
        parseErrors += folded.counts.parseErrors
        unknown += folded.counts.unknown
        issues.push(...folded.issues)
        progress.update(++done)
      }
      const last = group[group.length - 1]!
      // As the projection does: an archived file's mtime is its archive time.
      const archivedAt = last.archived
        ? yield* Effect.promise(() => stat(last.path).then((s) => Math.floor(s.mtimeMs), () => null))
        : null
      threads.push(threadJson(state.metadata, { rolloutPath: last.path, archived: last.archived, archivedAt }))
    }
    progress.finish()
    threads.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : a.id < b.id ? 1 : -1))
    if (options.json) {
      yield* Console.log(JSON.stringify(
        {
          items: threads,
          skippedFiles: listing.skipped,
          issues: issues.map((issue) => ({ ...issue, message: issue.message })),
          parseErrors,
          unknown
        },
        null,
        2
      ))
      return
    }
    for (const thread of threads) yield* Console.log(threadLine(thread))
    for (const skipped of listing.skipped) yield* Console.error(`skipped ${skipped.path}: ${skipped.reason}`)
    for (const issue of issues) yield* Console.error(issue.message)
    yield* Console.log(
      `${threads.length} threads from ${listing.files.length} files; ${parseErrors} parse errors, ${unknown} unknown lines, ${listing.skipped.length} files skipped`
    )
  })).pipe(Command.withDescription("read the rollouts of a home and print the threads they fold to (no database)"))
