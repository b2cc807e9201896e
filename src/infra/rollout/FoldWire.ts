/**
 * What the fold pool and its worker exchange. Structured cloning keeps plain data but drops
 * class prototypes and an error's own fields, so issues and read errors travel as their tag and
 * fields and are rebuilt on arrival.
 * @since 0.1.0
 */
import { Either } from "effect"
import type { FileFold, FoldFileOptions } from "./RolloutFold.js"
import {
  InvalidUtf8,
  LineParseError,
  OversizedLine,
  PartialRecordDropped,
  type ReadIssue,
  RolloutReadError
} from "./RolloutIssue.js"

/**
 * Slots of the shared `Int32Array`: the claim counter (the batch's generation in the high bits,
 * the next job's index in the low ones), and how many folds were posted.
 * @since 0.1.0
 */
export const JOB_COUNTER = 0
/** @since 0.1.0 */
export const POSTED_COUNTER = 1
/** @since 0.1.0 */
export const SHARED_SLOTS = 2

const INDEX_BITS = 20
const GENERATION_MASK = 0x7ff

/** Jobs a batch may hold, with room for each thread's one claim past the end. @since 0.1.0 */
export const MAX_BATCH_JOBS = (1 << INDEX_BITS) - 4

/** Makes `generation` the batch whose jobs are claimed from now on, starting at job 0. @since 0.1.0 */
export const openBatch = (shared: Int32Array, generation: number): void => {
  Atomics.store(shared, JOB_COUNTER, (generation & GENERATION_MASK) << INDEX_BITS)
}

/**
 * Claims the next job of batch `generation`: its index (possibly past the last job), or -1 when
 * another batch has been opened since. One compare-and-swap, so a thread still on an older batch
 * can never take a job of the newer one.
 * @since 0.1.0
 */
export const claim = (shared: Int32Array, generation: number): number => {
  for (;;) {
    const current = Atomics.load(shared, JOB_COUNTER)
    if (current >>> INDEX_BITS !== (generation & GENERATION_MASK)) return -1
    if (Atomics.compareExchange(shared, JOB_COUNTER, current, current + 1) === current) {
      return current & ((1 << INDEX_BITS) - 1)
    }
  }
}

/** @since 0.1.0 */
export interface FoldJob {
  readonly path: string
  readonly options: FoldFileOptions
}

/** @since 0.1.0 */
export interface FoldBatch {
  readonly generation: number
  readonly jobs: ReadonlyArray<FoldJob>
}

type WireIssue =
  | {
    readonly _tag: "LineParseError"
    readonly file: string
    readonly lineNumber: number
    readonly byteOffset: number
    readonly reason: string
  }
  | {
    readonly _tag: "PartialRecordDropped"
    readonly file: string
    readonly lineNumber: number
    readonly byteOffset: number
    readonly droppedBytes: number
  }
  | {
    readonly _tag: "OversizedLine"
    readonly file: string
    readonly lineNumber: number
    readonly byteOffset: number
    readonly byteLength: number
    readonly maxLineBytes: number
  }
  | { readonly _tag: "InvalidUtf8"; readonly file: string; readonly lineNumber: number; readonly byteOffset: number }

/** @since 0.1.0 */
export type WireFold =
  | { readonly ok: true; readonly fold: Omit<FileFold, "issues"> & { readonly issues: ReadonlyArray<WireIssue> } }
  | { readonly ok: false; readonly file: string; readonly reason: string }

/** @since 0.1.0 */
export interface FoldPosted {
  readonly generation: number
  readonly index: number
  readonly fold: WireFold
}

const wireIssue = (issue: ReadIssue): WireIssue => {
  const place = { file: issue.file, lineNumber: issue.lineNumber, byteOffset: issue.byteOffset }
  switch (issue._tag) {
    case "LineParseError":
      return { _tag: issue._tag, ...place, reason: issue.reason }
    case "PartialRecordDropped":
      return { _tag: issue._tag, ...place, droppedBytes: issue.droppedBytes }
    case "OversizedLine":
      return { _tag: issue._tag, ...place, byteLength: issue.byteLength, maxLineBytes: issue.maxLineBytes }
    case "InvalidUtf8":
      return { _tag: issue._tag, ...place }
  }
}

const ISSUE_CLASSES = { LineParseError, PartialRecordDropped, OversizedLine, InvalidUtf8 } as const

const issueOf = ({ _tag, ...fields }: WireIssue): ReadIssue =>
  // Each class takes exactly the fields `wireIssue` kept for its tag.
  new ISSUE_CLASSES[_tag](fields as never)

/** A fold as the worker posts it. @since 0.1.0 */
export const toWire = (folded: Either.Either<FileFold, RolloutReadError>): WireFold =>
  Either.isRight(folded)
    ? { ok: true, fold: { ...folded.right, issues: folded.right.issues.map(wireIssue) } }
    : { ok: false, file: folded.left.file, reason: folded.left.reason }

/** A posted fold as the fold on this thread would have returned it. @since 0.1.0 */
export const fromWire = (wire: WireFold): Either.Either<FileFold, RolloutReadError> =>
  wire.ok
    ? Either.right({ ...wire.fold, issues: wire.fold.issues.map(issueOf) })
    : Either.left(new RolloutReadError({ file: wire.file, reason: wire.reason }))
