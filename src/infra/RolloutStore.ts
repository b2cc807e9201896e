/**
 * Writes to the log: new rollout files and appends. Files are only ever appended to.
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, writeSync } from "node:fs"
import { mkdir, open, stat } from "node:fs/promises"
import { dirname, join } from "node:path"
import { rolloutFileNameFor } from "../domain/RolloutFileName.js"
import { SESSIONS_DIR } from "./RolloutFiles.js"

/**
 * A write to a rollout file failed; nothing was projected.
 * @since 0.1.0
 * @category errors
 */
export class RolloutWriteError extends Schema.TaggedError<RolloutWriteError>()("RolloutWriteError", {
  file: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.file}: ${this.reason}`
  }
}

/**
 * A time-ordered UUID (v7), as hosts give new threads.
 * @since 0.1.0
 */
export const uuidV7 = (nowMs: number): string => {
  const bytes = randomBytes(16)
  bytes.writeUIntBE(nowMs, 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * Where a new thread's file goes: `sessions/YYYY/MM/DD/` of its local creation time.
 * @since 0.1.0
 */
export const newRolloutPath = (home: string, threadId: string, createdAtMs: number): string => {
  const created = new Date(createdAtMs)
  const pad = (n: number) => String(n).padStart(2, "0")
  return join(
    home,
    SESSIONS_DIR,
    String(created.getFullYear()),
    pad(created.getMonth() + 1),
    pad(created.getDate()),
    rolloutFileNameFor(threadId, created)
  )
}

const describe = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === "EEXIST") return "file already exists"
  if (code === "ENOENT") return "file or folder not found"
  if (code === "EACCES" || code === "EPERM") return "permission denied"
  if (code === "ENOSPC") return "no space left on device"
  return error instanceof Error ? error.message : String(error)
}

/**
 * Creates a rollout file holding `text`; fails if it exists.
 * @since 0.1.0
 */
export const createRollout = (path: string, text: string): Effect.Effect<void, RolloutWriteError> =>
  Effect.tryPromise({
    try: async () => {
      await mkdir(dirname(path), { recursive: true })
      const handle = await open(path, "wx")
      try {
        await handle.write(text)
      } finally {
        await handle.close()
      }
    },
    catch: (cause) => new RolloutWriteError({ file: path, reason: describe(cause), cause })
  })

/**
 * Appends newline-terminated lines in one write. A file whose last line was torn (no
 * final `\n`, e.g. a crashed writer) first gets a `\n`, so the new lines are never glued
 * to the broken one: the fragment stays one reported bad line.
 * @since 0.1.0
 */
export const appendToRollout = (
  path: string,
  text: string
): Effect.Effect<{ readonly sizeAfter: number }, RolloutWriteError> =>
  Effect.try({
    // Synchronous calls: an append is a few KB, and each asynchronous fs call costs a thread
    // pool round trip (~60 µs on a small machine, against ~3 µs for the call itself), which
    // made the six calls here most of a live append's latency.
    try: () => {
      // O_APPEND: the kernel puts each write at the end, so concurrent appenders interleave
      // whole writes instead of overwriting each other.
      // No O_CREAT: a file moved away meanwhile (archived) must not be recreated empty here.
      const fd = openSync(path, fsConstants.O_RDWR | fsConstants.O_APPEND)
      try {
        const { size } = fstatSync(fd)
        let prefix = ""
        if (size > 0) {
          const last = Buffer.alloc(1)
          readSync(fd, last, 0, 1, size - 1)
          if (last[0] !== 0x0a) prefix = "\n"
        }
        writeAll(fd, Buffer.from(prefix + text))
        return { sizeAfter: fstatSync(fd).size }
      } finally {
        closeSync(fd)
      }
    },
    catch: (cause) => new RolloutWriteError({ file: path, reason: describe(cause), cause })
  })

/** `writeSync` may write less than asked (a full disk, a signal): write the rest. */
const writeAll = (fd: number, bytes: Buffer): void => {
  for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written)
}

/**
 * The write failed because the file is not there (moved or deleted meanwhile).
 * @since 0.1.0
 */
export const isMissingFile = (error: RolloutWriteError): boolean =>
  (error.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT"

/** @since 0.1.0 */
export const fileExists = (path: string): Effect.Effect<boolean> =>
  Effect.promise(() => stat(path).then(() => true, () => false))
