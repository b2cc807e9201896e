/**
 * Reads a rollout file (plain or `.jsonl.zst`) from a byte offset as entries
 * `(lineNumber, byteOffset, item)`, in bounded memory whatever the file or line size.
 * Line faults are reported as values and cost at most their line.
 * @since 0.1.0
 */
import { open, type FileHandle } from "node:fs/promises"
import { Effect, Stream } from "effect"
import { Decompress } from "fzstd"
import type { RolloutItem } from "../domain/RolloutItem.js"
import { DEFAULT_MAX_LINE_BYTES, type FramingEnd, LineFramer } from "./LineFramer.js"
import { type DecodeMode, decodeLine } from "./LineDecoder.js"
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

const DEFAULT_CHUNK_BYTES = 1024 * 1024
const BOM = [0xef, 0xbb, 0xbf] as const
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd] as const

interface ChunkSource {
  readonly next: () => Promise<Buffer | undefined>
  readonly close: () => Promise<void>
}

const startsWith = (chunk: Buffer, bytes: ReadonlyArray<number>): boolean => bytes.every((b, i) => chunk[i] === b)

/**
 * Two buffers in turn: the next read runs while the current chunk is decoded. A chunk is
 * fully consumed (held bytes are copied by the framer) before its buffer is read into again.
 */
const plainSource = (handle: FileHandle, fromOffset: number, chunkBytes: number): ChunkSource => {
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)] as const
  let turn = 0
  let position = fromOffset
  const readInto = (buffer: Buffer) => {
    const at = position
    const read = handle.read(buffer, 0, chunkBytes, at).then(({ bytesRead }) => buffer.subarray(0, bytesRead))
    position += chunkBytes
    return read
  }
  let ahead: Promise<Buffer> | undefined
  return {
    next: async () => {
      const current = ahead ?? readInto(buffers[turn]!)
      const chunk = await current
      if (chunk.length === 0) return undefined
      turn = 1 - turn
      ahead = chunk.length < chunkBytes ? Promise.resolve(Buffer.alloc(0)) : readInto(buffers[turn]!)
      // Keep a failed read-ahead from being reported as unhandled before it is awaited.
      ahead.catch(() => {})
      return chunk
    },
    close: async () => {
      await ahead?.catch(() => {})
      await handle.close()
    }
  }
}

/** Decompressed bytes from `fromOffset` on; offsets of compressed files count decompressed bytes. */
const zstdSource = (handle: FileHandle, fromOffset: number, chunkBytes: number): ChunkSource => {
  const buffer = Buffer.allocUnsafe(chunkBytes)
  let position = 0
  let toSkip = fromOffset
  let finished = false
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
  return {
    next: async () => {
      while (ready.length === 0 && !finished) {
        const { bytesRead } = await handle.read(buffer, 0, chunkBytes, position)
        position += bytesRead
        finished = bytesRead === 0
        // fzstd keeps references to pushed input, so each chunk gets its own copy.
        decompress.push(Buffer.from(buffer.subarray(0, bytesRead)), finished)
      }
      return ready.shift()
    },
    close: () => handle.close()
  }
}

const describeError = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === "ENOENT") return "file not found"
  if (code === "EACCES" || code === "EPERM") return "permission denied"
  if (code === "EISDIR") return "is a directory"
  return error instanceof Error ? error.message : String(error)
}

/**
 * Entries in batches (one per chunk read), ending with the `End` entry. Throws
 * `RolloutReadError` only when the file itself cannot be read.
 * @since 0.1.0
 */
export async function* readRolloutBatches(
  file: string,
  options: ReadOptions = {}
): AsyncGenerator<Array<RolloutEntry>, void, undefined> {
  const fromOffset = options.fromOffset ?? 0
  const mode = options.decode ?? "fold"
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES
  let source: ChunkSource
  let compressed: boolean
  // A BOM is not part of line 1; its bytes still count in offsets.
  let startOffset = fromOffset
  try {
    const handle = await open(file, "r")
    const head = Buffer.alloc(4)
    const { bytesRead } = await handle.read(head, 0, 4, 0)
    compressed = file.endsWith(".zst") || (bytesRead === 4 && startsWith(head, ZSTD_MAGIC))
    if (!compressed && fromOffset === 0 && bytesRead >= 3 && startsWith(head, BOM)) startOffset = BOM.length
    source = compressed ? zstdSource(handle, fromOffset, chunkBytes) : plainSource(handle, startOffset, chunkBytes)
  } catch (error) {
    throw new RolloutReadError({ file, reason: describeError(error), cause: error })
  }
  const batch: Array<RolloutEntry> = []
  const framer = new LineFramer(startOffset, options.fromLineNumber ?? 1, maxLineBytes, {
    line: ({ byteOffset, bytes, lineNumber }) => {
      const outcome = decodeLine(bytes, mode)
      switch (outcome._tag) {
        case "Blank":
          return
        case "Invalid":
          batch.push({ _tag: "Issue", issue: new LineParseError({ file, lineNumber, byteOffset, reason: outcome.reason }) })
          return
        case "Recovered":
          batch.push({
            _tag: "Issue",
            issue: new PartialRecordDropped({ file, lineNumber, byteOffset, droppedBytes: outcome.droppedBytes })
          })
          break
        case "Item":
          break
      }
      if (outcome.invalidUtf8) batch.push({ _tag: "Issue", issue: new InvalidUtf8({ file, lineNumber, byteOffset }) })
      batch.push({ _tag: "Item", lineNumber, byteOffset, item: outcome.item })
    },
    oversized: ({ byteLength, byteOffset, lineNumber }) => {
      batch.push({
        _tag: "Issue",
        issue: new OversizedLine({ file, lineNumber, byteOffset, byteLength, maxLineBytes })
      })
    }
  })
  try {
    // Decompressed output comes in blocks far larger than a BOM, so the first one holds it whole.
    let first = compressed && fromOffset === 0
    for (;;) {
      let chunk: Buffer | undefined
      try {
        chunk = await source.next()
      } catch (error) {
        throw new RolloutReadError({ file, reason: describeError(error), cause: error })
      }
      if (chunk === undefined) break
      if (first) {
        first = false
        if (startsWith(chunk, BOM)) {
          framer.advance(BOM.length)
          chunk = chunk.subarray(BOM.length)
        }
      }
      framer.push(chunk)
      if (batch.length > 0) yield batch.splice(0)
    }
    yield [...batch.splice(0), { _tag: "End", ...framer.end() }]
  } finally {
    await source.close()
  }
}

/**
 * The entries of a file as a stream, ending with its `End` entry.
 * @since 0.1.0
 * @category streams
 */
export const streamRollout = (file: string, options?: ReadOptions): Stream.Stream<RolloutEntry, RolloutReadError> =>
  Stream.suspend(() =>
    Stream.fromAsyncIterable(readRolloutBatches(file, options), (error) =>
      error instanceof RolloutReadError
        ? error
        : new RolloutReadError({ file, reason: describeError(error), cause: error }))
  ).pipe(Stream.flattenIterables)

/**
 * Calls `onBatch` with the entries of each chunk read, without the per-element cost of a
 * stream: the path every projection uses.
 * @since 0.1.0
 */
export const forEachRolloutBatch = (
  file: string,
  options: ReadOptions,
  onBatch: (entries: ReadonlyArray<RolloutEntry>) => void
): Effect.Effect<void, RolloutReadError> =>
  Effect.tryPromise({
    try: async () => {
      for await (const batch of readRolloutBatches(file, options)) onBatch(batch)
    },
    catch: (error) =>
      error instanceof RolloutReadError
        ? error
        : new RolloutReadError({ file, reason: describeError(error), cause: error })
  })
