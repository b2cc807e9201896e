/**
 * Folds a whole rollout file (or its new tail) into thread state, with counts and issues.
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import { basename } from "node:path"
import { parseRolloutFileName } from "../../domain/RolloutFileName.js"
import {
  FOLD_EVENT_TYPES,
  KNOWN_IGNORED_EVENT_TYPES,
  type RolloutItem,
  WRAPPED_TYPES
} from "../../domain/RolloutItem.js"
import { applyAll, applyAllWithTurns, initial } from "../../domain/ThreadFold.js"
import { echoes, type IndexedText, messageTextOf, type ThreadMessage } from "../../domain/ThreadMessages.js"
import type { ThreadState } from "../../domain/ThreadState.js"
import type { FramingEnd } from "./LineFramer.js"
import type { ReadIssue, RolloutReadError } from "./RolloutIssue.js"
import { type EntrySink, type ReadOptions, readRollout, readRolloutNow } from "./RolloutReader.js"

/**
 * How the lines of a read fell out.
 * @since 0.1.0
 * @category models
 */
export interface ReadCounts {
  readonly items: number
  /** Tolerated lines of a type, or events of a type, this engine does not know. */
  readonly unknown: number
  /** Lines lost: not valid JSON or not a valid item, or longer than the cap (skipped unread). */
  readonly parseErrors: number
  /** Other reported issues: glued partial records, invalid UTF-8. */
  readonly warnings: number
}

/** @since 0.1.0 */
export interface FileFold {
  readonly state: ThreadState
  /** The messages of the read (of `messageKinds`), in file order: only those after `resume`. */
  readonly messages: ReadonlyArray<ThreadMessage>
  /** The thread's message indexed last, here or before `resume`: the next read's echo check. */
  readonly lastMessage: IndexedText | undefined
  readonly end: FramingEnd
  readonly counts: ReadCounts
  readonly issues: ReadonlyArray<ReadIssue>
}

/**
 * Whether an item is of a type this engine does not know (tolerated, counted).
 * @since 0.1.0
 */
export const isUnknownItem = (item: RolloutItem): boolean => {
  switch (item.type) {
    case "unknown":
      return true
    case "skipped":
      if (!WRAPPED_TYPES.has(item.lineType)) return true
      return item.eventType !== undefined && !isKnownEvent(item.eventType)
    case "event_msg":
      return !isKnownEvent(item.payload.type)
    default:
      return false
  }
}

const isKnownEvent = (type: string): boolean => FOLD_EVENT_TYPES.has(type) || KNOWN_IGNORED_EVENT_TYPES.has(type)

/**
 * Where a fold continues: the state after the lines before `offset` (line `nextLineNumber`
 * next), and the message indexed last before it (`echoes`).
 * @since 0.1.0
 * @category models
 */
export interface FoldResume {
  readonly state: ThreadState
  readonly offset: number
  readonly nextLineNumber: number
  readonly lastMessage?: IndexedText | undefined
}

/**
 * How the next file of a thread continues a fold of the one before it: from its first byte.
 * @since 0.1.0
 */
export const nextFileResume = (fold: Pick<FileFold, "state" | "lastMessage">): FoldResume => ({
  state: fold.state,
  offset: 0,
  nextLineNumber: 1,
  lastMessage: fold.lastMessage
})

/** @since 0.1.0 */
export interface FoldFileOptions extends Pick<ReadOptions, "decode" | "maxLineBytes" | "messageKinds"> {
  readonly defaultModelProvider: string
  /** Continue a previous fold of the same file from where it ended. */
  readonly resume?: FoldResume
  /** Keep at most this many issues (all are counted). */
  readonly maxIssues?: number
}

/**
 * The state of the thread a file logs, from the file name's defaults or a previous fold.
 * @since 0.1.0
 */
export const initialStateForFile = (file: string, defaultModelProvider: string): ThreadState => {
  const name = parseRolloutFileName(basename(file))
  return initial(name?.threadId ?? "", {
    fileNameTimestamp: name?.nameTimestamp ?? null,
    defaultModelProvider
  })
}

/** The sink and read options of one file's fold, and the fold once the read has ended. */
const foldOf = (file: string, options: FoldFileOptions) => {
  let state = options.resume?.state ?? initialStateForFile(file, options.defaultModelProvider)
  const issues: Array<ReadIssue> = []
  const maxIssues = options.maxIssues ?? 1000
  let itemCount = 0
  let unknown = 0
  let parseErrors = 0
  let warnings = 0
  const items: Array<RolloutItem> = []
  const kinds = new Set(options.messageKinds)
  const messages: Array<ThreadMessage> = []
  let lastMessage = options.resume?.lastMessage
  // Messages of the chunk not yet folded: each waits for the turn its line leaves open.
  const pending: Array<{ readonly at: number; readonly message: Omit<ThreadMessage, "turnIndex"> }> = []
  const readOptions: ReadOptions = {
    decode: options.decode ?? "fold",
    ...(options.messageKinds === undefined ? {} : { messageKinds: options.messageKinds }),
    ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    ...(options.resume === undefined
      ? {}
      : { fromOffset: options.resume.offset, fromLineNumber: options.resume.nextLineNumber })
  }
  const sink: EntrySink = {
    item: (item, lineNumber) => {
      if (isUnknownItem(item)) unknown++
      if (kinds.size > 0) {
        const message = messageTextOf(item, kinds)
        if (message !== undefined) pending.push({ at: items.length, message: { position: lineNumber, ...message } })
      }
      items.push(item)
    },
    issue: (issue) => {
      if (issue._tag === "LineParseError" || issue._tag === "OversizedLine") parseErrors++
      else warnings++
      if (issues.length < maxIssues) issues.push(issue)
    },
    chunkEnd: () => {
      itemCount += items.length
      if (pending.length === 0) state = applyAll(state, items)
      else {
        // Each message takes the turn its line leaves open.
        const folded = applyAllWithTurns(state, items, pending.map((p) => p.at))
        state = folded.state
        pending.forEach(({ message }, k) => {
          if (echoes(lastMessage, message)) return
          lastMessage = { kind: message.kind, text: message.text }
          messages.push({
            position: message.position,
            turnIndex: folded.turns[k]!,
            kind: message.kind,
            text: message.text
          })
        })
      }
      items.length = 0
      pending.length = 0
    }
  }
  const done = (end: FramingEnd): FileFold => ({
    state,
    messages,
    lastMessage,
    end,
    counts: { items: itemCount, unknown, parseErrors, warnings },
    issues
  })
  return { readOptions, sink, done }
}

/**
 * Reads a file from the start (or from `resume`) and folds every item.
 * @since 0.1.0
 */
export const foldRolloutFile = (file: string, options: FoldFileOptions): Effect.Effect<FileFold, RolloutReadError> =>
  Effect.suspend(() => {
    const fold = foldOf(file, options)
    return Effect.map(readRollout(file, fold.readOptions, fold.sink), fold.done)
  })

/**
 * `foldRolloutFile` as one synchronous call, for a read known to be small (see `readRolloutNow`).
 * @since 0.1.0
 */
export const foldRolloutFileNow = (
  file: string,
  options: FoldFileOptions
): Either.Either<FileFold, RolloutReadError> => {
  const fold = foldOf(file, options)
  return Either.map(readRolloutNow(file, fold.readOptions, fold.sink), fold.done)
}
