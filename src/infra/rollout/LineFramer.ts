/**
 * Splits a byte stream into `\n`-terminated lines without decoding text, so a cut
 * multi-byte character or a line larger than a JS string can hold never breaks a read.
 * @since 0.1.0
 */

const NEWLINE = 0x0a

/**
 * Default cap on one line (SPEC §1): longer lines are skipped and reported, never
 * turned into a string.
 * @since 0.1.0
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024

/**
 * A complete line: `bytes` excludes the `\n` and is only valid during the callback.
 * @since 0.1.0
 */
export interface FramedLine {
  readonly lineNumber: number
  readonly byteOffset: number
  readonly bytes: Buffer
}

/**
 * A complete line longer than the cap; its bytes were dropped as they arrived.
 * @since 0.1.0
 */
export interface SkippedLine {
  readonly lineNumber: number
  readonly byteOffset: number
  readonly byteLength: number
}

/** @since 0.1.0 */
export interface FramerSink {
  readonly line: (line: FramedLine) => void
  readonly oversized: (line: SkippedLine) => void
}

/**
 * Where framing stopped: `offset` is just past the last complete line, so a later read
 * resumes there; `tornTailBytes` counts the bytes of an unterminated last line.
 * @since 0.1.0
 */
export interface FramingEnd {
  readonly offset: number
  readonly nextLineNumber: number
  readonly tornTailBytes: number
}

/**
 * Stateful framer fed with chunks in file order.
 * @since 0.1.0
 */
export class LineFramer {
  private pending: Array<Buffer> = []
  private pendingBytes = 0
  private skipping = false
  private lineStart: number
  private lineNumber: number

  constructor(
    startOffset: number,
    startLineNumber: number,
    private readonly maxLineBytes: number,
    private readonly sink: FramerSink
  ) {
    this.lineStart = startOffset
    this.lineNumber = startLineNumber
  }

  /**
   * Feeds the next chunk; lines inside it are handed to the sink before this returns.
   * `owned`: the caller never reuses the chunk's memory, so held bytes need no copy.
   */
  push(chunk: Buffer, owned = false): void {
    let position = 0
    while (position < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, position)
      if (newline === -1) {
        this.hold(chunk.subarray(position), owned)
        return
      }
      const piece = chunk.subarray(position, newline)
      const length = this.pendingBytes + piece.length
      if (this.skipping || length > this.maxLineBytes) {
        this.sink.oversized({ lineNumber: this.lineNumber, byteOffset: this.lineStart, byteLength: length })
      } else if (this.pendingBytes === 0) {
        this.sink.line({ lineNumber: this.lineNumber, byteOffset: this.lineStart, bytes: piece })
      } else {
        this.pending.push(piece)
        this.sink.line({
          lineNumber: this.lineNumber,
          byteOffset: this.lineStart,
          bytes: Buffer.concat(this.pending, length)
        })
      }
      this.lineStart += length + 1
      this.lineNumber += 1
      this.pending = []
      this.pendingBytes = 0
      this.skipping = false
      position = newline + 1
    }
  }

  /** Advances past bytes that belong to no line (a byte-order mark). */
  advance(bytes: number): void {
    this.lineStart += bytes
  }

  /** Ends the input; an unterminated last line is not a line (it may still be written). */
  end(): FramingEnd {
    return { offset: this.lineStart, nextLineNumber: this.lineNumber, tornTailBytes: this.pendingBytes }
  }

  private hold(piece: Buffer, owned: boolean): void {
    if (piece.length === 0) return
    this.pendingBytes += piece.length
    if (this.skipping || this.pendingBytes > this.maxLineBytes) {
      // Past the cap: keep counting, drop the bytes.
      this.skipping = true
      this.pending = []
      return
    }
    // A read buffer is reused by the next read, so its held bytes are copied.
    this.pending.push(owned ? piece : Buffer.from(piece))
  }
}
