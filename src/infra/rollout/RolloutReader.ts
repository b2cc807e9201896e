/**
 * Reads a rollout file (plain or `.jsonl.zst`) from a byte offset as entries
 * `(lineNumber, byteOffset, item)`, in bounded memory whatever the file or line size.
 * Line faults are reported as values and cost at most their line.
 * @since 0.1.0
 */
import { Effect, Either, Option, Stream } from "effect"
import { Decompress } from "fzstd"
import { closeSync, openSync, readSync } from "node:fs"
import type { RolloutItem } from "../../domain/RolloutItem.js"
import type { MessageKind } from "../../domain/ThreadMessages.js"
import { decodeLine, type DecodeMode } from "./LineDecoder.js"
import { DEFAULT_MAX_LINE_BYTES, type FramingEnd, LineFramer } from "./LineFramer.js"
import {
  InvalidUtf8,
  LineParseError,
  OversizedLine,
  PartialRecordDropped,
  type ReadIssue,
  RolloutReadError
} from "./RolloutIssue.js"

/** @since 0.1.0 */
export interface ReadOptions {
  /** Byte offset to start at; must be the start of a line (a recorded end offset). */
  readonly fromOffset?: number
  /** Line number of the line at `fromOffset` (1-based). */
  readonly fromLineNumber?: number
  readonly decode?: DecodeMode
  /** In `fold` mode, the message kinds whose lines are decoded for the search index (default none). */
  readonly messageKinds?: ReadonlyArray<MessageKind>
  readonly maxLineBytes?: number
  readonly chunkBytes?: number
}

/**
 * One entry of a read: an item, an issue with a line, or the end of the read.
 * @since 0.1.0
 * @category models
 */
export type RolloutEntry =
  | {
    readonly _tag: "Item"
    readonly lineNumber: number
    readonly byteOffset: number
    readonly item: RolloutItem
  }
  | { readonly _tag: "Issue"; readonly issue: ReadIssue }
  | ({ readonly _tag: "End" } & FramingEnd)

/**
 * Receives a read's items and issues in file order, as each chunk is framed; `chunkEnd`
 * follows the lines of every chunk.
 * @since 0.1.0
 */
export interface EntrySink {
  readonly item: (item: RolloutItem, lineNumber: number, byteOffset: number) => void
  readonly issue: (issue: ReadIssue) => void
  readonly chunkEnd?: () => void
}

const DEFAULT_CHUNK_BYTES = 1024 * 1024
/** Chunks read between two yields to the event loop, so a huge file never blocks a host for long. */
const CHUNKS_PER_SLICE = 32
const BOM = [0xef, 0xbb, 0xbf] as const
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd] as const

/**
 * Reads are synchronous: for many small files the round trips of asynchronous reads cost
 * more than the reads. A chunk is framed (held bytes are copied) before the next read, so
 * every reader of this thread can share one buffer of the default size.
 */
let sharedBuffer: Buffer | undefined
const chunkBuffer = (chunkBytes: number): Buffer => {
  if (chunkBytes !== DEFAULT_CHUNK_BYTES) return Buffer.allocUnsafe(chunkBytes)
  sharedBuffer ??= Buffer.allocUnsafe(DEFAULT_CHUNK_BYTES)
  return sharedBuffer
}

interface ChunkSource {
  /** The next chunk, valid until the next call; `undefined` at the end. */
  readonly next: () => Buffer | undefined
}

const startsWith = (chunk: Buffer, bytes: ReadonlyArray<number>): boolean => bytes.every((b, i) => chunk[i] === b)

const plainSource = (fd: number, fromOffset: number, chunkBytes: number): ChunkSource => {
  let position = fromOffset
  let finished = false
  return {
    next: () => {
      if (finished) return undefined
      const buffer = chunkBuffer(chunkBytes)
      const bytesRead = readSync(fd, buffer, 0, chunkBytes, position)
      position += bytesRead
      if (bytesRead === 0) {
        finished = true
        return undefined
      }
      return buffer.subarray(0, bytesRead)
    }
  }
}

/**
 * The largest window a frame may ask for (2^25: every level up to `--ultra -20`, and `--long=25`).
 * The decoder holds a window of output beside a line of up to the cap, and moves the whole
 * window on every block; a 128 MiB window broke the memory bound (docs/decisions.md).
 * @since 0.1.0
 */
export const MAX_ZSTD_WINDOW_BYTES = 32 * 1024 * 1024
/** RFC 8878 §3.1.1.2.3: no block regenerates more. */
const MAX_ZSTD_BLOCK_BYTES = 128 * 1024
const ZSTD_FRAME_MAGIC = 0xfd2fb528
const isSkippableMagic = (magic: number) => (magic & 0xfffffff0) >>> 0 === 0x184d2a50

/**
 * The frame header's window size (RFC 8878 §3.1.1.1): from the Window_Descriptor, or the
 * content size of a single-segment frame. `header` starts at the magic number.
 */
const frameHeaderOf = (header: Buffer): { readonly headerBytes: number; readonly windowBytes: number } => {
  const descriptor = header[4]!
  const singleSegment = (descriptor >> 5) & 1
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3]!
  const contentSizeFlag = descriptor >> 6
  const contentSizeBytes = contentSizeFlag === 0 ? singleSegment : 1 << contentSizeFlag
  const headerBytes = 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes
  if (header.length < headerBytes) return { headerBytes, windowBytes: 0 }
  if (!singleSegment) {
    const windowDescriptor = header[5]!
    const base = 2 ** (10 + (windowDescriptor >> 3))
    return { headerBytes, windowBytes: base + (base / 8) * (windowDescriptor & 7) }
  }
  const at = headerBytes - contentSizeBytes
  const windowBytes = contentSizeBytes === 1
    ? header[at]!
    : contentSizeBytes === 2
    ? header.readUInt16LE(at) + 256
    : contentSizeBytes === 4
    ? header.readUInt32LE(at)
    : header.readUInt32LE(at) + header.readUInt32LE(at + 4) * 2 ** 32
  return { headerBytes, windowBytes }
}

/**
 * Decompressed bytes from `fromOffset` on; offsets of compressed files count decompressed
 * bytes. Memory stays bounded whatever the ratio: the input is cut at block boundaries and
 * handed to fzstd one block at a time, so each call returns at most a block or two (128 KiB
 * each) that the framer consumes before the next, and frames needing a window above
 * `MAX_ZSTD_WINDOW_BYTES` are refused (docs/decisions.md).
 */
const zstdSource = (file: string, fd: number, fromOffset: number, chunkBytes: number): ChunkSource => {
  let position = 0
  let toSkip = fromOffset
  let eof = false
  // Unconsumed input from `at` on. Never written after it is made (reads go to the chunk
  // buffer and are copied in by concat), so fzstd may keep pieces of it.
  let input = Buffer.alloc(0)
  let at = 0
  let state: "frame" | "block" | "checksum" = "frame"
  let checksum = false
  let blockLimit = MAX_ZSTD_BLOCK_BYTES
  const ready: Array<Buffer> = []
  const decompress = new Decompress((data) => {
    let bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    if (toSkip > 0) {
      const skip = Math.min(toSkip, bytes.length)
      toSkip -= skip
      bytes = bytes.subarray(skip)
    }
    if (bytes.length > 0) ready.push(bytes)
  })
  const corrupt = (reason: string) =>
    new RolloutReadError({ file, reason: `${reason} (compressed byte ${position - (input.length - at)})` })
  /** Whether `n` bytes are available from `at`, reading more when they are not. */
  const have = (n: number): boolean => {
    while (input.length - at < n && !eof) {
      const buffer = chunkBuffer(chunkBytes)
      const bytesRead = readSync(fd, buffer, 0, chunkBytes, position)
      position += bytesRead
      if (bytesRead === 0) eof = true
      else input = Buffer.concat([input.subarray(at), buffer.subarray(0, bytesRead)])
      if (bytesRead > 0) at = 0
    }
    return input.length - at >= n
  }
  const take = (n: number): Buffer => {
    const piece = input.subarray(at, at + n)
    at += n
    return piece
  }
  /** Hands fzstd the next unit of input (a frame header, a block, a checksum); false at the end. */
  const feed = (): boolean => {
    if (state === "frame") {
      if (!have(4)) {
        if (input.length - at === 0) return false
        throw corrupt("truncated zstd frame")
      }
      const magic = input.readUInt32LE(at)
      if (isSkippableMagic(magic)) {
        if (!have(8)) throw corrupt("truncated skippable frame")
        let skip = 8 + input.readUInt32LE(at + 4)
        while (skip > 0) {
          if (!have(1)) throw corrupt("truncated skippable frame")
          skip -= take(Math.min(skip, input.length - at)).length
        }
        return true
      }
      if (magic !== ZSTD_FRAME_MAGIC) throw corrupt("not a zstd frame")
      if (!have(5)) throw corrupt("truncated zstd frame header")
      const { headerBytes } = frameHeaderOf(input.subarray(at, at + 5))
      if (!have(headerBytes)) throw corrupt("truncated zstd frame header")
      const { windowBytes } = frameHeaderOf(input.subarray(at, at + headerBytes))
      if (windowBytes > MAX_ZSTD_WINDOW_BYTES) {
        throw corrupt(
          `zstd frame needs a ${windowBytes}-byte window, above the ${MAX_ZSTD_WINDOW_BYTES} bytes this reader allows`
        )
      }
      checksum = ((input[at + 4]! >> 2) & 1) === 1
      blockLimit = Math.min(MAX_ZSTD_BLOCK_BYTES, Math.max(windowBytes, 1))
      decompress.push(take(headerBytes))
      state = "block"
      return true
    }
    if (state === "checksum") {
      if (!have(4)) throw corrupt("truncated zstd checksum")
      decompress.push(take(4))
      state = "frame"
      return true
    }
    if (!have(3)) throw corrupt("truncated zstd block")
    const header = input.readUIntLE(at, 3)
    const type = (header >> 1) & 3
    const size = header >>> 3
    if (type === 3) throw corrupt("reserved zstd block type")
    if (size > blockLimit) throw corrupt(`zstd block of ${size} bytes, above the ${blockLimit}-byte maximum`)
    const contentBytes = type === 1 ? 1 : size
    if (!have(3 + contentBytes)) throw corrupt("truncated zstd block")
    decompress.push(take(3 + contentBytes))
    if ((header & 1) === 1) state = checksum ? "checksum" : "frame"
    return true
  }
  return {
    next: () => {
      while (ready.length === 0 && feed()) {
        // Each unit yields at most a block or two of output.
      }
      return ready.shift()
    }
  }
}

const describeError = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === "ENOENT") return "file not found"
  if (code === "EACCES" || code === "EPERM") return "permission denied"
  if (code === "EISDIR") return "is a directory"
  return error instanceof Error ? error.message : String(error)
}

const readError = (file: string, error: unknown): RolloutReadError =>
  error instanceof RolloutReadError ? error : new RolloutReadError({ file, reason: describeError(error), cause: error })

/** An open read of one file: `step` frames one more chunk into the sink. */
interface Scan {
  /** False once the input is exhausted. */
  readonly step: () => boolean
  readonly end: () => FramingEnd
  readonly close: () => void
}

/** Opens a file for reading; throws `RolloutReadError` when it cannot be read. */
const openScan = (file: string, options: ReadOptions, sink: EntrySink): Scan => {
  const fromOffset = options.fromOffset ?? 0
  const mode = options.decode ?? "fold"
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES
  const indexed = new Set(options.messageKinds)
  let fd: number | undefined
  let source: ChunkSource
  let compressed: boolean
  // A BOM is not part of line 1; its bytes still count in offsets.
  let startOffset = fromOffset
  try {
    fd = openSync(file, "r")
    const head = Buffer.alloc(4)
    const bytesRead = readSync(fd, head, 0, 4, 0)
    compressed = file.endsWith(".zst") || (bytesRead === 4 && startsWith(head, ZSTD_MAGIC))
    if (!compressed && fromOffset === 0 && bytesRead >= 3 && startsWith(head, BOM)) startOffset = BOM.length
    source = compressed ? zstdSource(file, fd, fromOffset, chunkBytes) : plainSource(fd, startOffset, chunkBytes)
  } catch (error) {
    if (fd !== undefined) closeSync(fd)
    throw readError(file, error)
  }
  const framer = new LineFramer(startOffset, options.fromLineNumber ?? 1, maxLineBytes, {
    line: ({ byteOffset, bytes, lineNumber }) => {
      const outcome = decodeLine(bytes, mode, indexed)
      switch (outcome._tag) {
        case "Blank":
          return
        case "Invalid":
          sink.issue(new LineParseError({ file, lineNumber, byteOffset, reason: outcome.reason }))
          return
        case "Recovered":
          sink.issue(new PartialRecordDropped({ file, lineNumber, byteOffset, droppedBytes: outcome.droppedBytes }))
          break
        case "Item":
          break
      }
      if (outcome.invalidUtf8) sink.issue(new InvalidUtf8({ file, lineNumber, byteOffset }))
      sink.item(outcome.item, lineNumber, byteOffset)
    },
    oversized: ({ byteLength, byteOffset, lineNumber }) => {
      sink.issue(new OversizedLine({ file, lineNumber, byteOffset, byteLength, maxLineBytes }))
    }
  })
  // Decompressed output comes in blocks far larger than a BOM, so the first one holds it whole.
  let first = compressed && fromOffset === 0
  let open = true
  return {
    step: () => {
      let chunk: Buffer | undefined
      try {
        chunk = source.next()
      } catch (error) {
        throw readError(file, error)
      }
      if (chunk === undefined) return false
      if (first) {
        first = false
        if (startsWith(chunk, BOM)) {
          framer.advance(BOM.length)
          chunk = chunk.subarray(BOM.length)
        }
      }
      // Decompressed blocks are fresh allocations, never reused: held as they are.
      framer.push(chunk, compressed)
      sink.chunkEnd?.()
      return true
    },
    end: () => framer.end(),
    close: () => {
      if (open) closeSync(fd)
      open = false
    }
  }
}

/**
 * Entries in batches (one per chunk read), ending with the `End` entry. Throws
 * `RolloutReadError` only when the file itself cannot be read.
 * @since 0.1.0
 */
export function* readRolloutBatches(
  file: string,
  options: ReadOptions = {}
): Generator<Array<RolloutEntry>, void, undefined> {
  const batch: Array<RolloutEntry> = []
  const scan = openScan(file, options, {
    item: (item, lineNumber, byteOffset) => batch.push({ _tag: "Item", lineNumber, byteOffset, item }),
    issue: (issue) => batch.push({ _tag: "Issue", issue })
  })
  try {
    while (scan.step()) {
      if (batch.length > 0) yield batch.splice(0)
    }
    yield [...batch.splice(0), { _tag: "End", ...scan.end() }]
  } finally {
    scan.close()
  }
}

/**
 * A turn of the event loop (timers, I/O, signal handlers), which `Effect.yieldNow` does not give.
 * @since 0.1.0
 */
export const yieldToEventLoop = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/**
 * Reads a file into `sink` and returns where framing ended. Reads synchronously, giving the
 * event loop a turn every few MB; fails only when the file itself cannot be read.
 * @since 0.1.0
 */
export const readRollout = (
  file: string,
  options: ReadOptions,
  sink: EntrySink
): Effect.Effect<FramingEnd, RolloutReadError> =>
  Effect.acquireUseRelease(
    Effect.try({ try: () => openScan(file, options, sink), catch: (error) => readError(file, error) }),
    (scan) => {
      const slice: Effect.Effect<FramingEnd, RolloutReadError> = Effect.suspend(() => {
        try {
          for (let n = 0; n < CHUNKS_PER_SLICE; n++) {
            if (!scan.step()) return Effect.succeed(scan.end())
          }
        } catch (error) {
          return Effect.fail(readError(file, error))
        }
        return Effect.zipRight(yieldToEventLoop, slice)
      })
      return slice
    },
    (scan) => Effect.sync(() => scan.close())
  )

/**
 * `readRollout` without giving the event loop a turn: for reads known to be small (a live
 * append's tail), where an effect per read cost more than the read.
 * @since 0.1.0
 */
export const readRolloutNow = (
  file: string,
  options: ReadOptions,
  sink: EntrySink
): Either.Either<FramingEnd, RolloutReadError> => {
  let scan: Scan
  try {
    scan = openScan(file, options, sink)
  } catch (error) {
    return Either.left(readError(file, error))
  }
  try {
    while (scan.step()) {
      // Framed into the sink.
    }
    return Either.right(scan.end())
  } catch (error) {
    return Either.left(readError(file, error))
  } finally {
    scan.close()
  }
}

/**
 * The entries of a file as a stream, ending with its `End` entry.
 * @since 0.1.0
 * @category streams
 */
export const streamRollout = (file: string, options?: ReadOptions): Stream.Stream<RolloutEntry, RolloutReadError> =>
  Stream.suspend(() => {
    const batches = readRolloutBatches(file, options)
    return Stream.repeatEffectOption(
      Effect.try({
        try: () => batches.next(),
        catch: (error) =>
          Option.some(
            error instanceof RolloutReadError
              ? error
              : new RolloutReadError({ file, reason: describeError(error), cause: error })
          )
      }).pipe(Effect.flatMap((next) => next.done === true ? Effect.fail(Option.none()) : Effect.succeed(next.value)))
    ).pipe(Stream.ensuring(Effect.sync(() => batches.return())))
  }).pipe(Stream.flattenIterables)

/**
 * Calls `onBatch` with the entries of each chunk read, without the per-element cost of a
 * stream.
 * @since 0.1.0
 */
export const forEachRolloutBatch = (
  file: string,
  options: ReadOptions,
  onBatch: (entries: ReadonlyArray<RolloutEntry>) => void
): Effect.Effect<void, RolloutReadError> => {
  const batch: Array<RolloutEntry> = []
  return readRollout(file, options, {
    item: (item, lineNumber, byteOffset) => batch.push({ _tag: "Item", lineNumber, byteOffset, item }),
    issue: (issue) => batch.push({ _tag: "Issue", issue }),
    chunkEnd: () => {
      if (batch.length > 0) onBatch(batch.splice(0))
    }
  }).pipe(Effect.map((end) => onBatch([...batch.splice(0), { _tag: "End", ...end }])))
}
