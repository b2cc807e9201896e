/**
 * Which thread a rollout file belongs to (SPEC §12): the one whose id its name carries, when
 * its first line, if that is a session meta (or a legacy header), names the same thread. Every
 * write or projection through a row's `rollout_path` asks this first; a file that is not the
 * row's thread's is treated as a missing one (located again by name), never written through.
 * @since 0.1.0
 */
import { Either } from "effect"
import { Decompress } from "fzstd"
import { closeSync, openSync, readSync } from "node:fs"
import { basename } from "node:path"
import { continuesThread, sessionMetaThreadId } from "../../domain/HistoryPages.js"
import { parseRolloutFileName } from "../../domain/RolloutFileName.js"
import { decodeRolloutItem } from "../../domain/RolloutItem.js"
import { fileStat } from "./FileStat.js"

/**
 * A file as the identity check saw it: gone, or there with the thread it belongs to
 * (`undefined`: none, its name is not a rollout name or its first line names another thread),
 * and whether it is a page continuing that thread (`HistoryPages.ts`).
 * @since 0.1.0
 * @category models
 */
export type RolloutIdentity =
  | { readonly _tag: "Missing" }
  | {
    readonly _tag: "Present"
    readonly threadId: string | undefined
    readonly continuation: boolean
    readonly size: number
    readonly mtimeMs: number
  }

/** A first line longer than this is not read: the name alone decides (docs/decisions.md). */
const HEAD_CAP = 4 * 1024 * 1024
const CHUNK = 64 * 1024

interface Verified {
  readonly dev: number
  readonly ino: number
  /** Tells a new file from an old one on the same inode, where the file system records it (else 0). */
  readonly birthtimeMs: number
  /** The size last seen: a file that shrank was rewritten, and is read again. */
  lastSize: number
  readonly threadId: string | undefined
  readonly continuation: boolean
}

/**
 * Files whose first line was read, by path, valid while the file keeps its device, inode and
 * birth time and does not shrink: files are append-only, so the hot append path pays one stat.
 */
const verified = new Map<string, Verified>()
const MAX_VERIFIED = 10_000

/** `overCap`: no newline in the first `HEAD_CAP` bytes, which an append never changes. */
type Head = { readonly complete: false; readonly overCap: boolean } | { readonly complete: true; readonly line: Buffer }

const newlineHead = (buffer: Buffer, length: number, skip: number): Head => {
  const end = buffer.subarray(0, length).indexOf(0x0a)
  return end === -1
    ? { complete: false, overCap: length >= HEAD_CAP }
    : { complete: true, line: buffer.subarray(skip, end) }
}

const hasBom = (bytes: Buffer): boolean => bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf

/** The first line of a plain file, read in chunks up to the cap. */
const plainHead = (path: string): Head => {
  const fd = openSync(path, "r")
  try {
    let buffer = Buffer.alloc(CHUNK)
    let length = 0
    while (length < HEAD_CAP) {
      if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.alloc(buffer.length)])
      const read = readSync(fd, buffer, length, buffer.length - length, length)
      if (read === 0) return { complete: false, overCap: false }
      const from = length
      length += read
      if (buffer.subarray(from, length).includes(0x0a)) return newlineHead(buffer, length, hasBom(buffer) ? 3 : 0)
    }
    return { complete: false, overCap: true }
  } finally {
    closeSync(fd)
  }
}

/** Thrown from the decompressor's callback to stop it once the first line is out. */
const enough = Symbol("enough")

/**
 * The first line of a `.jsonl.zst`: decompressed a few KB at a time, stopped from inside the
 * callback once a newline or the cap is reached (a small frame can expand enormously).
 */
const compressedHead = (path: string): Head => {
  const parts: Array<Uint8Array> = []
  let produced = 0
  const decompress = new Decompress((chunk) => {
    parts.push(chunk)
    produced += chunk.length
    if (chunk.includes(0x0a) || produced >= HEAD_CAP) throw enough
  })
  const fd = openSync(path, "r")
  try {
    const input = Buffer.alloc(4096)
    for (let position = 0;;) {
      const read = readSync(fd, input, 0, input.length, position)
      if (read === 0) break
      position += read
      // fzstd keeps references to pushed input: each push gets its own copy.
      decompress.push(Uint8Array.prototype.slice.call(input, 0, read), false)
    }
  } catch (error) {
    if (error !== enough) return { complete: false, overCap: false }
  } finally {
    closeSync(fd)
  }
  const out = Buffer.concat(parts)
  return newlineHead(out, Math.min(out.length, HEAD_CAP), hasBom(out) ? 3 : 0)
}

/** The thread the fold would give this first line, if it is a session meta or legacy header. */
const metaOwnerOf = (line: Buffer): { readonly id: string; readonly continuation: boolean } | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(line.toString("utf8"))
  } catch {
    return undefined
  }
  const item = decodeRolloutItem(parsed)
  if (Either.isLeft(item)) return undefined
  const value = item.right
  if (value.type === "legacy_header") return { id: value.payload.id.toLowerCase(), continuation: false }
  if (value.type !== "session_meta") return undefined
  return { id: sessionMetaThreadId(value.payload).toLowerCase(), continuation: continuesThread(value.payload) }
}

interface Owner {
  readonly threadId: string | undefined
  readonly continuation: boolean
  readonly final: boolean
}

/** The thread of a file not verified yet: its name's, unless its first line names another. */
const ownerOf = (path: string, nameId: string, size: number): Owner => {
  if (size === 0) return { threadId: nameId, continuation: false, final: false }
  let head: Head
  try {
    head = path.endsWith(".zst") ? compressedHead(path) : plainHead(path)
  } catch {
    // Unreadable now (permissions, moved meanwhile): decided by the name until it can be read.
    return { threadId: nameId, continuation: false, final: false }
  }
  // A first line still being written is read again next time; one over the cap never is.
  if (!head.complete) return { threadId: nameId, continuation: false, final: head.overCap }
  const meta = metaOwnerOf(head.line)
  if (meta === undefined) return { threadId: nameId, continuation: false, final: true }
  return { threadId: meta.id === nameId ? nameId : undefined, continuation: meta.continuation, final: true }
}

/**
 * Stats the file and says which thread it belongs to: one stat when its first line was read
 * before by this process. Synchronous: it runs on every append, where a stat through the thread
 * pool cost several times the stat itself (~0.25 ms of an append's CPU, `bench/figures/append.ts`).
 * @since 0.1.0
 */
export const rolloutIdentity = (path: string): RolloutIdentity => {
  const info = fileStat(path)
  if (info === undefined || !info.isFile()) return { _tag: "Missing" }
  const { birthtimeMs, dev, ino, size } = info
  const present = (threadId: string | undefined, continuation: boolean): RolloutIdentity => ({
    _tag: "Present",
    threadId,
    continuation,
    size,
    mtimeMs: Math.floor(info.mtimeMs)
  })
  const known = verified.get(path)
  if (
    known !== undefined && known.dev === dev && known.ino === ino && known.birthtimeMs === birthtimeMs &&
    size >= known.lastSize
  ) {
    known.lastSize = size
    return present(known.threadId, known.continuation)
  }
  const nameId = parseRolloutFileName(basename(path))?.threadId
  if (nameId === undefined) return present(undefined, false)
  const owner = ownerOf(path, nameId, size)
  if (owner.final) {
    if (verified.size >= MAX_VERIFIED) verified.clear()
    verified.set(path, {
      dev,
      ino,
      birthtimeMs,
      lastSize: size,
      threadId: owner.threadId,
      continuation: owner.continuation
    })
  }
  return present(owner.threadId, owner.continuation)
}

/**
 * Whether the file is there and belongs to this thread.
 * @since 0.1.0
 */
export const belongsTo = (path: string, threadId: string): boolean => {
  const identity = rolloutIdentity(path)
  return identity._tag === "Present" && identity.threadId !== undefined &&
    identity.threadId === threadId.toLowerCase()
}
