/**
 * Projects rollout files into every projection: resume each thread's fold from its rows,
 * fold the new tail, and write all projections in one write transaction.
 * A thread continued in further files (paginated history, SPEC §1) is folded as the union of
 * its files, in order (`HistoryPages.ts`): from its rows when they hold every file before the
 * new bytes unchanged, else from its first file.
 * Live append, catch-up, backfill, rebuild and repair all go through `project`.
 * @since 0.1.0
 */
import { Context, Effect, Either, Layer } from "effect"
import { basename } from "node:path"
import { compareHistoryFiles } from "../../domain/HistoryPages.js"
import { parseRolloutFileName } from "../../domain/RolloutFileName.js"
import type { IndexedText, MessageKind, ThreadMessage } from "../../domain/ThreadMessages.js"
import type { ThreadState } from "../../domain/ThreadState.js"
import { messageRows } from "../../projections/MessagesProjection.js"
import { loadStates as loadStatesWith, type WriteItem, writeProjections } from "../../projections/ProjectionWriter.js"
import type { Program } from "../../projections/Statements.js"
import type { EarlierFile } from "../../projections/ThreadDelta.js"
import { earlierFilesOf, type ThreadRow, threadRows } from "../../projections/ThreadsProjection.js"
import { archivedAtOf, fileStat, placementAfterFold } from "../rollout/FileStat.js"
import * as FoldPool from "../rollout/FoldPool.js"
import { isArchivedRolloutPath, movedPlaces } from "../rollout/Layout.js"
import * as ReadAhead from "../rollout/ReadAhead.js"
import { type FileFold, type FoldResume, nextFileResume, type ReadCounts } from "../rollout/RolloutFold.js"
import { rolloutIdentity } from "../rollout/RolloutIdentity.js"
import type { ReadIssue, RolloutReadError } from "../rollout/RolloutIssue.js"
import { type DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import { EngineConfig } from "./EngineConfig.js"

/**
 * A file to project; `archived` follows from where it lives.
 * @since 0.1.0
 */
export interface FileTarget {
  readonly path: string
  readonly archived: boolean
  /**
   * The thread's row as the caller just read it (a live append locates the file by it): the
   * plan uses it instead of reading it again. A stale one costs a second plan, never a wrong
   * write: the write checks the row is still as planned.
   */
  readonly row?: ThreadRow | undefined
}

/**
 * What projecting one file did.
 * @since 0.1.0
 * @category models
 */
export type FileOutcome =
  | { readonly _tag: "Unchanged"; readonly path: string; readonly threadId: string; readonly projectedOffset: number }
  | {
    readonly _tag: "Projected"
    readonly path: string
    readonly threadId: string
    readonly created: boolean
    readonly projectedOffset: number
    readonly counts: ReadCounts
    readonly issues: ReadonlyArray<ReadIssue>
  }
  | { readonly _tag: "Failed"; readonly path: string; readonly reason: string; readonly error?: RolloutReadError }

/**
 * `rows`: continue each thread from what its rows say (live, catch-up, backfill);
 * `scratch`: fold every thread from the first byte of its first file and replace its rows
 * (rebuild, repair).
 * @since 0.1.0
 */
export type ProjectFrom = "rows" | "scratch"

/** @since 0.1.0 */
export interface ProjectOptions {
  readonly from: ProjectFrom
  readonly defaultModelProvider: string
}

/** @since 0.1.0 @category models */
export interface ThreadProjector {
  readonly project: (
    files: ReadonlyArray<FileTarget>,
    options: ProjectOptions
  ) => Effect.Effect<ReadonlyArray<FileOutcome>, DatabaseError>
  /** The state the rows of these threads hold (only each thread's last turn is loaded). */
  readonly loadStates: (
    rows: ReadonlyArray<ThreadRow>
  ) => Effect.Effect<ReadonlyMap<string, ThreadState>, DatabaseError>
}

/** @since 0.1.0 @category tags */
export const ThreadProjector = Context.GenericTag<ThreadProjector>("rollout-state/ThreadProjector")

/** A file of a thread as the plan found it. */
interface ThreadFileNow {
  readonly path: string
  readonly archived: boolean
  readonly name: string
  readonly continuation: boolean
  readonly size: number
  readonly mtimeMs: number
}

/** A thread to fold: its files from the first one to read, and what comes before them. */
interface Planned {
  /** The call's files of this thread: each gets the thread's outcome. */
  readonly targets: ReadonlyArray<FileTarget>
  /** Folded in order: the first from the row's offset when `resume` is set, the rest from byte 0. */
  readonly files: ReadonlyArray<ThreadFileNow>
  /** The files before `files`, already in the resumed state. */
  readonly earlier: ReadonlyArray<EarlierFile>
  readonly row: ThreadRow | undefined
  /** Whether `files[0]` continues the row's fold from its offset (the state is loaded after planning). */
  readonly fromRow: boolean
  readonly resume: ThreadState | undefined
  /** The thread's message indexed last, when `files[0]` continues the row's fold. */
  readonly resumeMessage?: IndexedText | undefined
}

interface FileRead {
  readonly path: string
  readonly lines: number
  readonly counts: ReadCounts
  readonly issues: ReadonlyArray<ReadIssue>
}

interface Folded extends WriteItem {
  readonly planned: Planned
  readonly reads: ReadonlyArray<FileRead>
}

/** A thread's files as its row records them: the earlier pages, then the current file. */
const recordedFiles = (row: ThreadRow): ReadonlyArray<EarlierFile> => [
  ...(row.earlier_files === null ? [] : earlierFilesOf(row.earlier_files)),
  { path: row.rollout_path, size: row.file_size, lines: row.projected_lines }
]

/** Where a recorded file of the thread is now: its path, else where a move would have put it. */
const locateRecorded = (home: string, threadId: string, path: string): ThreadFileNow | undefined => {
  const name = basename(path)
  for (const place of [{ path, archived: isArchivedRolloutPath(home, path) }, ...movedPlaces(home, name)]) {
    const found = rolloutIdentity(place.path)
    if (found._tag === "Present" && found.threadId === threadId) {
      return { ...place, name, continuation: found.continuation, size: found.size, mtimeMs: found.mtimeMs }
    }
  }
  return undefined
}

/**
 * The thread's files in fold order: one file that starts it (a file of the call, the last such,
 * else the recorded one: two such files race, the one projected last wins) and every continuing
 * page, one per name (a file of the call wins over a recorded one).
 */
const threadFilesOf = (
  recorded: ReadonlyArray<ThreadFileNow>,
  called: ReadonlyArray<ThreadFileNow>
): Array<ThreadFileNow> => {
  const byName = new Map<string, ThreadFileNow>()
  for (const file of [...recorded, ...called]) byName.set(file.name, file)
  const files = [...byName.values()]
  const starts = files.filter((f) => !f.continuation)
  const start = [...called].reverse().find((f) => !f.continuation) ?? starts[0]
  return files
    .filter((f) => f.continuation || f === start)
    .sort((a, b) =>
      compareHistoryFiles(
        { ...a, nameTimestamp: parseRolloutFileName(a.name)?.nameTimestamp },
        { ...b, nameTimestamp: parseRolloutFileName(b.name)?.nameTimestamp }
      )
    )
}

/**
 * How one thread's files fold: unchanged; from its rows (every recorded file before the new
 * bytes is still there, unchanged, and first in the order); or from its first file.
 */
const planThread = (
  home: string,
  targets: ReadonlyArray<{ readonly target: FileTarget; readonly file: ThreadFileNow }>,
  threadId: string,
  row: ThreadRow | undefined,
  from: ProjectFrom
): Planned | ReadonlyArray<FileOutcome> => {
  const called = targets.map((t) => t.file)
  const calledTargets = targets.map((t) => t.target)
  if (row === undefined) {
    return {
      targets: calledTargets,
      files: threadFilesOf([], called),
      earlier: [],
      row,
      fromRow: false,
      resume: undefined
    }
  }
  const recorded = recordedFiles(row)
  const last = recorded.length - 1
  // Nearly every thread is one file, projected by that file: no other file to look for.
  const single = last === 0 && called.length === 1 && called[0]!.path === row.rollout_path
  const found = single ?
    [called[0]] :
    recorded.map((file) => called.find((c) => c.path === file.path) ?? locateRecorded(home, threadId, file.path))
  const files = threadFilesOf(found.filter((f): f is ThreadFileNow => f !== undefined), called)
  const scratch: Planned = { targets: calledTargets, files, earlier: [], row, fromRow: false, resume: undefined }
  if (from === "scratch" || row.projected_offset === 0) return scratch
  const resumable = found.every((file, index) =>
    file !== undefined && files[index]?.name === file.name &&
    (index === last ? file.size >= row.projected_offset : file.size === recorded[index]!.size)
  )
  if (!resumable) return scratch
  const current = files[last]!
  const moved = found.some((file, index) => file!.path !== recorded[index]!.path)
  if (
    files.length === recorded.length && !moved && current.size === row.file_size &&
    archivedAtOf(current.archived, current.mtimeMs) === row.archived_at_ms
  ) {
    return calledTargets.map((t) => ({
      _tag: "Unchanged",
      path: t.path,
      threadId: row.id,
      projectedOffset: row.projected_offset
    }))
  }
  return {
    targets: calledTargets,
    files: files.slice(last),
    earlier: files.slice(0, last).map((f, index) => ({ path: f.path, size: f.size, lines: recorded[index]!.lines })),
    row,
    fromRow: true,
    resume: undefined
  }
}

const isOutcomes = (plan: Planned | ReadonlyArray<FileOutcome>): plan is ReadonlyArray<FileOutcome> =>
  Array.isArray(plan)

/**
 * Groups the files by the thread they belong to and plans each thread. A thread's row is the
 * one the caller gave, else the one recording the file's path, else the one of its id; a row
 * pointing at a file that is not its thread's never resumes from it (SPEC §12). A file whose
 * first line names another thread than its name is folded on its own, as it always was.
 */
function* planWith(
  home: string,
  files: ReadonlyArray<FileTarget>,
  options: ProjectOptions
): Program<Array<Planned | FileOutcome>> {
  const out: Array<Planned | FileOutcome> = []
  const groups = new Map<string, Array<{ target: FileTarget; file: ThreadFileNow }>>()
  const hinted = new Map<string, ThreadRow>()
  for (const target of files) {
    const found = rolloutIdentity(target.path)
    if (found._tag === "Missing") {
      out.push({ _tag: "Failed", path: target.path, reason: "file not found" })
      continue
    }
    const name = basename(target.path)
    const key = found.threadId ?? `\0${target.path}`
    const file: ThreadFileNow = {
      ...target,
      name,
      continuation: found.continuation,
      size: found.size,
      mtimeMs: found.mtimeMs
    }
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [{ target, file }])
    else group.push({ target, file })
    if (target.row !== undefined && target.row.id.toLowerCase() === found.threadId) hinted.set(key, target.row)
  }
  const rows = new Map(hinted)
  const unhinted = [...groups].filter(([key]) => !rows.has(key))
  if (options.from === "rows" && unhinted.length > 0) {
    const byPath = yield* threadRows.findByPath(unhinted.flatMap(([, group]) => group.map((g) => g.target.path)))
    for (const [key, group] of unhinted) {
      const row = group.map((g) => byPath.get(g.target.path)).find((r) => r !== undefined && r.id.toLowerCase() === key)
      if (row !== undefined) rows.set(key, row)
    }
  }
  // By id: the thread of each file, or, for a file its first line disowns, the id in its name
  // (a scratch fold replaces that row, as it always did).
  const idOf = new Map(
    [...groups].filter(([key]) => !rows.has(key)).flatMap(([key, group]) => {
      const id = key.startsWith("\0")
        ? (options.from === "scratch" ? parseRolloutFileName(group[0]!.file.name)?.threadId : undefined)
        : key
      return id === undefined ? [] : [[key, id] as const]
    })
  )
  if (idOf.size > 0) {
    const byId = yield* threadRows.load([...new Set(idOf.values())])
    for (const [key, id] of idOf) {
      const row = byId.get(id)
      if (row !== undefined) rows.set(key, row)
    }
  }
  const resumable: Array<ThreadRow> = []
  for (const [key, group] of groups) {
    const row = rows.get(key)
    const planned = key.startsWith("\0")
      ? {
        targets: group.map((g) => g.target),
        files: group.map((g) => g.file),
        earlier: [],
        row,
        fromRow: false,
        resume: undefined
      }
      : planThread(home, group, key, row, options.from)
    if (isOutcomes(planned)) out.push(...planned)
    else {
      if (planned.fromRow) resumable.push(planned.row!)
      out.push(planned)
    }
  }
  const states = resumable.length === 0 ? new Map<string, ThreadState>() : yield* loadStatesWith(resumable)
  const lastMessages = resumable.length === 0
    ? new Map<string, IndexedText>()
    : yield* messageRows.loadLast(resumable.map((r) => r.id))
  return out.map((p) =>
    "_tag" in p || !p.fromRow
      ? p
      : { ...p, resume: states.get(p.row!.id), resumeMessage: lastMessages.get(p.row!.id) }
  )
}

/**
 * The tools projection rewrites a thread's tools when the list is a new array, which a fold
 * makes only when a session meta lists tools; a fold posted by the pool's worker is a copy,
 * so an unchanged list is given back the array it resumed from.
 */
const withResumedTools = (resumed: ThreadState | undefined, state: ThreadState): ThreadState =>
  resumed === undefined || resumed.dynamicTools === state.dynamicTools ||
    JSON.stringify(resumed.dynamicTools) !== JSON.stringify(state.dynamicTools)
    ? state
    : { ...state, dynamicTools: resumed.dynamicTools }

/** A thread's fold under way: the files folded so far and the state they left. */
interface Chain {
  readonly planned: Planned
  state: ThreadState | undefined
  end: FileFold["end"] | undefined
  readonly reads: Array<FileRead>
  /** The messages read, positioned by line across the thread's files (a page's count on). */
  readonly messages: Array<ThreadMessage>
  /** The message indexed last before the next file to fold. */
  lastMessage: IndexedText | undefined
  /** Lines of the thread's files before the next one to fold. */
  linesBefore: number
  failed: FileOutcome | undefined
}

/** The next file of a chain as a fold job: the row's offset for a resumed first file, else byte 0. */
const jobOf = (
  chain: Chain,
  index: number,
  defaultModelProvider: string,
  messageKinds: ReadonlyArray<MessageKind>
): { readonly job: FoldPool.SizedFoldJob; readonly from: number } => {
  const { planned } = chain
  const file = planned.files[index]!
  const fromRow = index === 0 && planned.fromRow && planned.resume !== undefined
  const resume: FoldResume | undefined = fromRow
    ? {
      state: planned.resume,
      offset: planned.row!.projected_offset,
      nextLineNumber: planned.row!.projected_lines + 1,
      lastMessage: planned.resumeMessage
    }
    : chain.state === undefined
    ? undefined
    : nextFileResume({ state: chain.state, lastMessage: chain.lastMessage })
  const from = resume?.offset ?? 0
  const job = {
    path: file.path,
    bytes: Math.max(0, file.size - from),
    options: { defaultModelProvider, messageKinds, ...(resume === undefined ? {} : { resume }) }
  }
  return { job, from }
}

/** The chain's fold as a delta to write, or why the thread cannot be projected. */
const foldedOf = (chain: Chain): Folded | FileOutcome => {
  const { planned } = chain
  if (chain.failed !== undefined) return chain.failed
  const state = withResumedTools(planned.resume, chain.state!)
  const lastFile = planned.files[planned.files.length - 1]!
  if (state.metadata.id === "") {
    return { _tag: "Failed", path: lastFile.path, reason: "no session meta and no thread id in the file name" }
  }
  const earlierFiles = [
    ...planned.earlier,
    ...planned.files.slice(0, -1).map((f, index) => ({ path: f.path, size: f.size, lines: chain.reads[index]!.lines }))
  ]
  const placement = {
    ...placementAfterFold(lastFile, lastFile, chain.end!),
    ...(earlierFiles.length === 0 ? {} : { earlierFiles })
  }
  return {
    planned,
    delta: { before: planned.resume, after: state, placement, messages: chain.messages },
    expected: planned.row,
    reads: chain.reads
  }
}

const NO_COUNTS: ReadCounts = { items: 0, unknown: 0, parseErrors: 0, warnings: 0 }

/**
 * Each of the thread's files in the call gets the thread's outcome, with the counts and issues
 * of its own read; the reads of other files (earlier pages folded again) go to the last one.
 */
const projectedOutcomes = (folded: Folded): Array<FileOutcome> => {
  const { targets } = folded.planned
  const own = new Set(targets.map((t) => t.path))
  const others = folded.reads.filter((r) => !own.has(r.path))
  return targets.map((target, index) => {
    const reads = [
      ...folded.reads.filter((r) => r.path === target.path),
      ...(index === targets.length - 1 ? others : [])
    ]
    return {
      _tag: "Projected",
      path: target.path,
      threadId: folded.delta.after.metadata.id,
      created: folded.planned.row === undefined,
      projectedOffset: folded.delta.placement.projectedOffset,
      counts: reads.reduce((sum, r) => ({
        items: sum.items + r.counts.items,
        unknown: sum.unknown + r.counts.unknown,
        parseErrors: sum.parseErrors + r.counts.parseErrors,
        warnings: sum.warnings + r.counts.warnings
      }), NO_COUNTS),
      issues: reads.flatMap((r) => r.issues)
    }
  })
}

/** The host that owns the fold's thread, when another host does. */
const ownerOf = (others: ReadonlyMap<string, string>, folded: Folded): string | undefined =>
  others.get(folded.delta.after.metadata.id) ??
    (folded.planned.row === undefined ? undefined : others.get(folded.planned.row.id))

/** Why a thread of another host is not written: `threads.id` is one row for every host. */
const otherHostReason = (folded: Folded, owner: string, self: string | null): string =>
  `thread ${folded.delta.after.metadata.id} is projected by host "${owner}"; this host is "${
    self ?? ""
  }": one rollout copied to two hosts is projected by the first only`

/**
 * Needs a scope: the read-ahead worker, when bulk work started it, stops with it. Plans, small
 * folds and writes are synchronous calls on the connection, one effect each: a live append
 * went from 278 effect steps to 108.
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const database = yield* SqlDatabase
  const { home, messageKinds } = yield* EngineConfig
  const readAhead = yield* ReadAhead.make
  const foldPool = yield* FoldPool.make()
  const dbError = database.toDatabaseError

  const loadStates = (rows: ReadonlyArray<ThreadRow>) =>
    Effect.mapError(database.run(loadStatesWith(rows)), dbError("load thread state"))

  const plan = (files: ReadonlyArray<FileTarget>, options: ProjectOptions) =>
    Effect.mapError(database.run(planWith(home, files, options)), dbError("plan"))

  const write = (folded: ReadonlyArray<Folded>) =>
    Effect.mapError(
      database.transact(function*() {
        // Held from here to the commit; another host's thread is that host's to write.
        const others = yield* database.claimThreads(folded.flatMap((f) => [
          f.delta.after.metadata.id,
          ...(f.planned.row === undefined ? [] : [f.planned.row.id])
        ]))
        const foreign = others.size === 0 ? [] : folded.flatMap((f) => {
          const host = ownerOf(others, f)
          return host === undefined ? [] : [{ folded: f, host }]
        })
        const owned = foreign.length === 0 ? folded : folded.filter((f) => ownerOf(others, f) === undefined)
        // Under the lock: a thread deleted since its file was folded (its file gone, its row too)
        // must not come back as a new row. A fold from a row is checked by the row (stale).
        const vanished = owned.filter((f) =>
          f.planned.row === undefined && fileStat(f.delta.placement.rolloutPath) === undefined
        )
        const present = vanished.length === 0 ? owned : owned.filter((f) => !vanished.includes(f))
        return { ...(yield* writeProjections(present)), vanished, foreign }
      }()),
      dbError("write projections")
    )

  /** Folds every chain a file at a time: the threads' first files together, then their second ones... */
  const foldChains = (toFold: ReadonlyArray<Planned>, defaultModelProvider: string) =>
    Effect.gen(function*() {
      const chains: Array<Chain> = toFold.map((planned) => ({
        planned,
        state: undefined,
        end: undefined,
        reads: [],
        messages: [],
        lastMessage: undefined,
        linesBefore: planned.earlier.reduce((sum, file) => sum + file.lines, 0),
        failed: undefined
      }))
      for (let index = 0;; index++) {
        const round = chains.filter((c) => c.failed === undefined && index < c.planned.files.length)
        if (round.length === 0) return chains
        const jobs = round.map((chain) => jobOf(chain, index, defaultModelProvider, messageKinds))
        const reaching = readAhead.warm(
          jobs.map(({ from, job }) => ({ path: job.path, from, to: from + job.bytes }))
        )
        const folds = yield* foldPool.foldAll(jobs.map(({ job }) => job), reaching)
        round.forEach((chain, at) => {
          const folded = folds[at]!
          const path = jobs[at]!.job.path
          if (Either.isLeft(folded)) {
            chain.failed = { _tag: "Failed", path, reason: folded.left.reason, error: folded.left }
            return
          }
          const { counts, end, issues, lastMessage, messages, state } = folded.right
          chain.state = state
          chain.lastMessage = lastMessage
          chain.end = end
          const lines = end.nextLineNumber - 1
          chain.reads.push({ path, lines, counts, issues })
          for (const message of messages) {
            chain.messages.push(
              chain.linesBefore === 0 ? message : { ...message, position: message.position + chain.linesBefore }
            )
          }
          chain.linesBefore += lines
        })
      }
    })

  const project = (files: ReadonlyArray<FileTarget>, options: ProjectOptions) =>
    Effect.gen(function*() {
      const outcomes = new Map<string, FileOutcome>()
      let pending = files
      for (let attempt = 0; attempt < 5 && pending.length > 0; attempt++) {
        const planned = yield* plan(pending, options)
        const toFold = planned.filter((p): p is Planned => !("_tag" in p))
        for (const p of planned) if ("_tag" in p) outcomes.set(p.path, p)
        const folded: Array<Folded> = []
        for (const chain of yield* foldChains(toFold, options.defaultModelProvider)) {
          const result = foldedOf(chain)
          if ("_tag" in result) {
            for (const t of chain.planned.targets) outcomes.set(t.path, { ...result, path: t.path })
          } else folded.push(result)
        }
        const { foreign, stale, vanished, written } = yield* write(folded)
        for (const { folded: f, host } of foreign) {
          for (const t of f.planned.targets) {
            outcomes.set(t.path, { _tag: "Failed", path: t.path, reason: otherHostReason(f, host, database.hostId) })
          }
        }
        for (const f of vanished) {
          for (const t of f.planned.targets) {
            outcomes.set(t.path, { _tag: "Failed", path: t.path, reason: "file not found" })
          }
        }
        for (const f of written) {
          for (const outcome of projectedOutcomes(f)) {
            outcomes.set(outcome.path, outcome)
          }
        }
        // Another process projected these meanwhile: plan them again from its rows.
        pending = stale.flatMap(({ planned: { targets } }) =>
          targets.map((t) => ({ path: t.path, archived: t.archived }))
        )
      }
      for (const target of pending) {
        outcomes.set(target.path, {
          _tag: "Failed",
          path: target.path,
          reason: "kept changing under concurrent writers"
        })
      }
      return files.map((f) => outcomes.get(f.path)!)
    })

  return ThreadProjector.of({ project, loadStates })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.scoped(ThreadProjector, make)
