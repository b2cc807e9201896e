/**
 * Writes to the log: new rollout files and appends. Files are only ever appended to.
 * @since 0.1.0
 */
import { Context, Effect, Schema } from "effect"
import { randomBytes } from "node:crypto"
import {
  closeSync,
  constants as fsConstants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  futimesSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync
} from "node:fs"
import { mkdir } from "node:fs/promises"
import { dirname } from "node:path"

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

const describe = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === "EEXIST") return "file already exists"
  if (code === "ENOENT") return "file or folder not found"
  if (code === "EACCES" || code === "EPERM") return "permission denied"
  if (code === "ENOSPC") return "no space left on device"
  if (code === "EIO") return "input/output error"
  return error instanceof Error ? error.message : String(error)
}

/**
 * What an append promises once it returns: `none` leaves the lines in the page cache (a
 * crash of the process loses nothing, a power cut may), `data` fdatasyncs the rollout
 * before the projection commits. Default and cost: docs/decisions.md.
 * @since 0.1.0
 */
export type Durability = "none" | "data"

/** @since 0.1.0 */
export interface WriteOptions {
  readonly durability?: Durability
}

/**
 * The file system calls rollout writes make, as a reference so tests can fail them
 * (ENOSPC, EIO, short writes); node:fs unless provided.
 * @since 0.1.0
 * @category services
 */
export interface RolloutSyscalls {
  readonly open: (path: string, flags: number) => number
  /** The file's size and its access and modification times (ns). */
  readonly stat: (fd: number) => { readonly size: number; readonly atimeNs: bigint; readonly mtimeNs: bigint }
  readonly read: (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number
  readonly write: (fd: number, buffer: Buffer, offset: number, length: number) => number
  readonly fdatasync: (fd: number) => void
  readonly truncate: (fd: number, length: number) => void
  readonly setTimes: (fd: number, atimeNs: bigint, mtimeNs: bigint) => void
  readonly close: (fd: number) => void
  readonly unlink: (path: string) => void
}

/**
 * `futimes` takes seconds as a double, which holds a time of today to ~0.2 µs and is then
 * truncated: half a microsecond more lands it on the very microsecond it was, so the
 * millisecond an archive time is read at never drops by one.
 */
const secondsOf = (ns: bigint): number => (Number(ns / 1000n) + 0.5) / 1e6

/** @since 0.1.0 @category services */
export const nodeSyscalls: RolloutSyscalls = {
  open: (path, flags) => openSync(path, flags, 0o644),
  stat: (fd) => {
    const info = fstatSync(fd, { bigint: true })
    return { size: Number(info.size), atimeNs: info.atimeNs, mtimeNs: info.mtimeNs }
  },
  read: (fd, buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
  write: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
  fdatasync: (fd) => fdatasyncSync(fd),
  truncate: (fd, length) => ftruncateSync(fd, length),
  setTimes: (fd, atimeNs, mtimeNs) => futimesSync(fd, secondsOf(atimeNs), secondsOf(mtimeNs)),
  close: (fd) => closeSync(fd),
  unlink: (path) => unlinkSync(path)
}

/** @since 0.1.0 @category services */
export class RolloutSyscallsRef extends Context.Reference<RolloutSyscallsRef>()("rollout-state/RolloutSyscalls", {
  defaultValue: (): RolloutSyscalls => nodeSyscalls
}) {}

/** A failed write, with how many of its bytes reached the file before it failed. */
class PartialWrite extends Error {
  constructor(readonly written: number, override readonly cause: unknown) {
    super("partial write")
  }
}

/** `write` may write less than asked (a full disk, a signal): write the rest, counting. */
const writeAll = (fs: RolloutSyscalls, fd: number, bytes: Buffer, durability: Durability): void => {
  let written = 0
  try {
    while (written < bytes.length) {
      const n = fs.write(fd, bytes, written, bytes.length - written)
      // A write that makes no progress would loop forever.
      if (n <= 0) throw new Error("a write made no progress")
      written += n
    }
    if (durability === "data") fs.fdatasync(fd)
  } catch (cause) {
    throw new PartialWrite(written, cause)
  }
}

/**
 * Takes back the `written` bytes of a failed append that started at `start`: only when
 * they are the file's last bytes, so a line another writer appended after ours (O_APPEND)
 * is never cut. Returns what happened, for the error's reason.
 */
const rollBack = (
  fs: RolloutSyscalls,
  fd: number,
  start: number,
  written: number,
  times: { readonly atimeNs: bigint; readonly mtimeNs: bigint }
): string => {
  try {
    const { size } = fs.stat(fd)
    if (size === start) return "nothing was written"
    if (size !== start + written) {
      return `the file is ${size} bytes, not the ${
        start + written
      } this write alone leaves (another writer), so the ${written} bytes written at or after ${start} were left in place`
    }
    fs.truncate(fd, start)
    // As it was, mtime included: an archived file's mtime is its archive time (placement rule).
    fs.setTimes(fd, times.atimeNs, times.mtimeNs)
    return `the ${written} bytes written were truncated away (back to ${start} bytes)`
  } catch (cause) {
    return `truncating back to ${start} bytes failed too (${describe(cause)})`
  }
}

const failureOf = (path: string, error: unknown, outcome: string): RolloutWriteError => {
  const cause = error instanceof PartialWrite ? error.cause : error
  return new RolloutWriteError({ file: path, reason: `${describe(cause)}; ${outcome}`, cause })
}

/**
 * Creates a rollout file holding `text`; fails if it exists. A file whose first write fails
 * is removed, so no empty or torn rollout is left behind.
 * @since 0.1.0
 */
export const createRollout = (
  path: string,
  text: string,
  options: WriteOptions = {}
): Effect.Effect<void, RolloutWriteError> =>
  Effect.flatMap(RolloutSyscallsRef, (fs) =>
    Effect.flatMap(
      Effect.tryPromise({
        try: () => mkdir(dirname(path), { recursive: true }),
        catch: (cause) => new RolloutWriteError({ file: path, reason: describe(cause), cause })
      }),
      () =>
        Effect.try({
          try: () => {
            const fd = fs.open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL)
            try {
              writeAll(fs, fd, Buffer.from(text), options.durability ?? "none")
            } catch (error) {
              fs.close(fd)
              let outcome = "the new file was removed"
              try {
                fs.unlink(path)
              } catch (cause) {
                outcome = `removing the new file failed too (${describe(cause)})`
              }
              throw failureOf(path, error, outcome)
            }
            fs.close(fd)
          },
          catch: (cause) =>
            cause instanceof RolloutWriteError
              ? cause
              : new RolloutWriteError({ file: path, reason: describe(cause), cause })
        })
    ))

/**
 * Appends newline-terminated lines in one write. A file whose last line was torn (no
 * final `\n`, e.g. a crashed writer) first gets a `\n`, so the new lines are never glued
 * to the broken one: the fragment stays one reported bad line. Whole lines or nothing: a
 * short or failed write (or fdatasync) is truncated back to where it started (SPEC §12).
 * @since 0.1.0
 */
export const appendToRollout = (
  path: string,
  text: string,
  options: WriteOptions = {}
): Effect.Effect<{ readonly sizeAfter: number }, RolloutWriteError> =>
  Effect.flatMap(RolloutSyscallsRef, (fs) =>
    Effect.try({
      // Synchronous calls: an append is a few KB, and each asynchronous fs call costs a thread
      // pool round trip (~60 µs on a small machine, against ~3 µs for the call itself), which
      // made the six calls here most of a live append's latency.
      try: () => {
        // O_APPEND: the kernel puts each write at the end, so concurrent appenders interleave
        // whole writes instead of overwriting each other.
        // No O_CREAT: a file moved away meanwhile (archived) must not be recreated empty here.
        const fd = fs.open(path, fsConstants.O_RDWR | fsConstants.O_APPEND)
        try {
          const times = fs.stat(fd)
          const size = times.size
          let prefix = ""
          if (size > 0) {
            const last = Buffer.alloc(1)
            fs.read(fd, last, 0, 1, size - 1)
            if (last[0] !== 0x0a) prefix = "\n"
          }
          try {
            writeAll(fs, fd, Buffer.from(prefix + text), options.durability ?? "none")
          } catch (error) {
            throw failureOf(
              path,
              error,
              rollBack(fs, fd, size, error instanceof PartialWrite ? error.written : 0, times)
            )
          }
          return { sizeAfter: fs.stat(fd).size }
        } finally {
          fs.close(fd)
        }
      },
      catch: (cause) =>
        cause instanceof RolloutWriteError
          ? cause
          : new RolloutWriteError({ file: path, reason: describe(cause), cause })
    }))

/**
 * The write failed because the file is not there (moved or deleted meanwhile).
 * @since 0.1.0
 */
export const isMissingFile = (error: RolloutWriteError): boolean =>
  (error.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
