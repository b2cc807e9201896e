/**
 * What can go wrong reading a rollout: per-line issues are values (the read goes on),
 * a file that cannot be read at all is a failure.
 * @since 0.1.0
 */
import { Schema } from "effect"

const LinePlace = {
  file: Schema.String,
  lineNumber: Schema.Number,
  byteOffset: Schema.Number
}

/**
 * A line that is not valid JSON or not a valid item: skipped, counted, reported.
 * @since 0.1.0
 * @category issues
 */
export class LineParseError extends Schema.TaggedError<LineParseError>()("LineParseError", {
  ...LinePlace,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.file}:${this.lineNumber}: ${this.reason}`
  }
}

/**
 * A partial record glued in front of a complete one on the same line (a retried write):
 * the complete record was kept, the partial one dropped.
 * @since 0.1.0
 * @category issues
 */
export class PartialRecordDropped extends Schema.TaggedError<PartialRecordDropped>()("PartialRecordDropped", {
  ...LinePlace,
  droppedBytes: Schema.Number
}) {
  override get message(): string {
    return `${this.file}:${this.lineNumber}: dropped a partial record of ${this.droppedBytes} bytes glued before a complete one`
  }
}

/**
 * A line longer than the cap: skipped without being turned into a string.
 * @since 0.1.0
 * @category issues
 */
export class OversizedLine extends Schema.TaggedError<OversizedLine>()("OversizedLine", {
  ...LinePlace,
  byteLength: Schema.Number,
  maxLineBytes: Schema.Number
}) {
  override get message(): string {
    return `${this.file}:${this.lineNumber}: line of ${this.byteLength} bytes exceeds the ${this.maxLineBytes}-byte cap; skipped`
  }
}

/**
 * A line with bytes that are not UTF-8: read with U+FFFD in their place.
 * @since 0.1.0
 * @category issues
 */
export class InvalidUtf8 extends Schema.TaggedError<InvalidUtf8>()("InvalidUtf8", LinePlace) {
  override get message(): string {
    return `${this.file}:${this.lineNumber}: invalid UTF-8 replaced with U+FFFD`
  }
}

/** @since 0.1.0 */
export type ReadIssue = LineParseError | PartialRecordDropped | OversizedLine | InvalidUtf8

/**
 * The file could not be opened or read.
 * @since 0.1.0
 * @category errors
 */
export class RolloutReadError extends Schema.TaggedError<RolloutReadError>()("RolloutReadError", {
  file: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.file}: ${this.reason}`
  }
}
