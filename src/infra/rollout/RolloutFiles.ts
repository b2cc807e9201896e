/**
 * Finds the rollout files of a home: `sessions/**` (live) and `archived_sessions/**`.
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { type Dirent, realpathSync, type Stats, statSync } from "node:fs"
import { readdir, stat } from "node:fs/promises"
import { join, relative, sep } from "node:path"
import {
  isCopySuffixed,
  looksLikeRollout,
  parseRolloutFileName,
  type RolloutFileName
} from "../../domain/RolloutFileName.js"
import { fileStat } from "./FileStat.js"
import { ARCHIVED_SESSIONS_DIR, SESSIONS_DIR } from "./Layout.js"

/**
 * A rollout file found in a home.
 * @since 0.1.0
 * @category models
 */
export interface RolloutFile {
  readonly path: string
  /** Path relative to the home with `/` separators: the backfill watermark. */
  readonly relativePath: string
  readonly archived: boolean
  readonly name: RolloutFileName
  readonly size: number
}

/**
 * A file under the session folders that is not projected, and why.
 * @since 0.1.0
 * @category models
 */
export interface SkippedFile {
  readonly path: string
  readonly reason: string
}

/** @since 0.1.0 */
export interface HomeListing {
  /** Sorted by `relativePath` (byte order), the deterministic backfill order. */
  readonly files: ReadonlyArray<RolloutFile>
  readonly skipped: ReadonlyArray<SkippedFile>
}

/**
 * The home folder is missing or unreadable.
 * @since 0.1.0
 * @category errors
 */
export class HomeNotFound extends Schema.TaggedError<HomeNotFound>()("HomeNotFound", {
  home: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.home}: ${this.reason}`
  }
}

/**
 * The home as the database stores paths under it (SPEC §12): its `realpath`, absolute, so a
 * relative or symlinked name of one home is that home. Links *inside* the home are kept as
 * named; only the home itself is resolved. Every path the engine derives starts from this.
 * @since 0.1.0
 */
export const canonicalHome = (home: string): Effect.Effect<string, HomeNotFound> =>
  Effect.try({
    try: () => realpathSync(home),
    catch: (error) => {
      const code = (error as NodeJS.ErrnoException).code
      return new HomeNotFound({
        home,
        reason: code === "ENOENT" ? "home folder not found" : `cannot resolve the home: ${code ?? String(error)}`
      })
    }
  })

interface Found {
  readonly path: string
  readonly baseName: string
  readonly archived: boolean
  /** Reached through a symbolic link to the file: a second name of a file listed under its own. */
  readonly linked: boolean
}

/** Folders seen so far by `dev:ino` (a link back up is a loop, a second name a duplicate). */
interface Walk {
  readonly found: Array<Found>
  readonly skipped: Array<SkippedFile>
  readonly seen: Map<string, string>
  /** Symbolically linked folders, walked after every real one so a folder is listed under its own name. */
  readonly linkedFolders: Array<{ readonly path: string; readonly name: string; readonly archived: boolean }>
  /** Date folders of `sessions/` before this day (`YYYY/MM/DD`) are not walked. */
  readonly sessionsFrom: ReadonlyArray<string> | undefined
  readonly sessionsRoot: string
}

/**
 * Whether a folder under `sessions/` holds only days before `from`: each of its date segments
 * (`2025`, `11`, `20`) compared with the day's; a folder not named like a date is walked.
 */
const beforeDay = (state: Walk, path: string): boolean => {
  const from = state.sessionsFrom
  if (from === undefined || !path.startsWith(state.sessionsRoot + sep)) return false
  const segments = path.slice(state.sessionsRoot.length + 1).split(sep)
  for (const [i, segment] of segments.entries()) {
    const day = from[i]
    if (day === undefined || !/^\d+$/.test(segment) || segment.length !== day.length) return false
    if (segment !== day) return segment < day
  }
  return false
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

const isUtf8 = (name: Buffer): boolean => {
  try {
    utf8.decode(name)
    return true
  } catch {
    return false
  }
}

const kindOf = (info: Stats | Dirent<Buffer>): string | undefined =>
  info.isFIFO()
    ? "a FIFO"
    : info.isSocket()
    ? "a socket"
    : info.isCharacterDevice()
    ? "a character device"
    : info.isBlockDevice()
    ? "a block device"
    : undefined

const identityOf = (info: Stats): string => `${info.dev}:${info.ino}`

/** A second way to reach a folder already listed (a link back up is a loop): reported, not walked again. */
const alreadySeen = (walk: Walk, path: string, info: Stats): boolean => {
  const first = walk.seen.get(identityOf(info))
  if (first === undefined) {
    walk.seen.set(identityOf(info), path)
    return false
  }
  const loop = (path + sep).startsWith(first + sep)
  walk.skipped.push({ path, reason: loop ? `symbolic link loop back to ${first}` : `same folder as ${first}` })
  return true
}

/**
 * Symbolic links are followed (SPEC §12); anything that cannot be a rollout (broken link,
 * FIFO, socket, device, a folder named `*.jsonl`, a name that is not UTF-8) is reported in
 * `skipped`, never dropped in silence. Entries go in byte order, so which of two names of one
 * file is listed does not depend on the file system's order.
 */
const walk = async (dir: string, archived: boolean, state: Walk): Promise<void> => {
  let entries: Array<Dirent<Buffer>>
  try {
    entries = await readdir(dir, { withFileTypes: true, encoding: "buffer" })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== "ENOENT") state.skipped.push({ path: dir, reason: `unreadable folder (${code ?? String(error)})` })
    return
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name))
  for (const entry of entries) {
    const name = entry.name.toString("utf8")
    // `dir` is normalised and a listed name holds no separator: `join` would only copy the
    // string again, a character at a time (docs/decisions.md, the empty-home RSS).
    const path = dir + sep + name
    if (!isUtf8(entry.name)) {
      state.skipped.push({ path, reason: "name is not valid UTF-8" })
      continue
    }
    const special = kindOf(entry)
    if (special !== undefined) {
      state.skipped.push({ path, reason: `not a regular file: ${special}` })
      continue
    }
    if (!entry.isDirectory() && !entry.isFile()) {
      // A symbolic link (or a file system that gives no type): what it leads to decides.
      let info: Stats
      try {
        info = statSync(path)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        state.skipped.push({
          path,
          reason: code === "ENOENT"
            ? "broken symbolic link"
            : code === "ELOOP"
            ? "symbolic link loop"
            : `cannot follow (${code ?? String(error)})`
        })
        continue
      }
      const target = kindOf(info)
      if (target !== undefined) state.skipped.push({ path, reason: `not a regular file: ${target}` })
      else if (info.isDirectory()) state.linkedFolders.push({ path, name, archived })
      else state.found.push({ path, baseName: name, archived, linked: true })
      continue
    }
    if (entry.isDirectory()) await folder(path, name, archived, state)
    else state.found.push({ path, baseName: name, archived, linked: false })
  }
}

const folder = async (path: string, name: string, archived: boolean, state: Walk) => {
  if (!archived && beforeDay(state, path)) return
  const identity = fileStat(path)
  if (identity === undefined || alreadySeen(state, path, identity)) return
  if (name.endsWith(".jsonl") || name.endsWith(".jsonl.zst")) {
    state.skipped.push({ path, reason: "a folder named like a rollout file (its contents are listed)" })
  }
  await walk(path, archived, state)
}

/** `path` under `home` with `/` separators; a slice of `path` where the platform allows. */
const relativePathOf = (home: string, path: string): string => {
  const prefix = home.endsWith(sep) ? home : home + sep
  if (sep === "/" && path.startsWith(prefix)) return path.slice(prefix.length)
  return relative(home, path).split(sep).join("/")
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** A file moved or deleted while the home is scanned (an archive by another process) is skipped. */
const statOf = fileStat

/**
 * Lists a home's rollouts. A `.jsonl.zst` is hidden by its plain sibling; empty
 * `… (1).jsonl` copies are ignored; other names are reported as skipped. `sessionsFrom`
 * (`YYYY/MM/DD`) leaves out the date folders of `sessions/` before that day (a cheap look for
 * files added since); `archived_sessions/` is always listed whole.
 * @since 0.1.0
 */
export const listRolloutFiles = (
  home: string,
  options: { readonly sessionsFrom?: string } = {}
): Effect.Effect<HomeListing, HomeNotFound> =>
  Effect.tryPromise({
    try: async () => {
      const info = await stat(home)
      if (!info.isDirectory()) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR" })
      const state: Walk = {
        found: [],
        skipped: [],
        seen: new Map(),
        linkedFolders: [],
        sessionsFrom: options.sessionsFrom?.split("/"),
        sessionsRoot: join(home, SESSIONS_DIR)
      }
      for (const [dir, archived] of [[SESSIONS_DIR, false], [ARCHIVED_SESSIONS_DIR, true]] as const) {
        const root = join(home, dir)
        const rootInfo = statOf(root)
        if (rootInfo !== undefined) state.seen.set(identityOf(rootInfo), root)
        await walk(root, archived, state)
      }
      for (let next = state.linkedFolders.shift(); next !== undefined; next = state.linkedFolders.shift()) {
        await folder(next.path, next.name, next.archived, state)
      }
      const { found, skipped } = state
      const plainPaths = new Set(found.filter((f) => f.baseName.endsWith(".jsonl")).map((f) => f.path))
      // Identities matter only when a file was reached through a link; a listing keeps no Stats.
      const anyLinked = found.some((f) => f.linked)
      const rollouts: Array<
        { readonly found: Found; readonly name: RolloutFileName; readonly size: number; readonly identity: string }
      > = []
      for (const f of found) {
        if (f.baseName.endsWith(".jsonl.zst") && plainPaths.has(f.path.slice(0, -".zst".length))) continue
        // A listing holds every file of the home: its strings are slices of the one path
        // string (relative path, name parts), so a file costs one path, not four strings.
        const name = parseRolloutFileName(f.path.slice(f.path.length - f.baseName.length))
        if (name === undefined) {
          if (!looksLikeRollout(f.baseName)) {
            if (f.baseName.endsWith(".jsonl") || f.baseName.endsWith(".zst")) {
              skipped.push({ path: f.path, reason: "file name does not match rollout-<time>-<uuid>.jsonl" })
            }
            continue
          }
          const size = statOf(f.path)?.size
          if (size === undefined || (isCopySuffixed(f.baseName) && size === 0)) continue
          skipped.push({ path: f.path, reason: "file name does not match rollout-<time>-<uuid>.jsonl" })
          continue
        }
        const info = statOf(f.path)
        if (info !== undefined) {
          rollouts.push({ found: f, name, size: info.size, identity: anyLinked ? identityOf(info) : "" })
        }
      }
      // A link to a rollout listed under its own name too would project the same lines twice.
      // Hard links are not links here: a move interrupted between link and unlink leaves two.
      const byIdentity = new Map<string, string>()
      if (anyLinked) { for (const r of rollouts) if (!r.found.linked) byIdentity.set(r.identity, r.found.path) }
      const files: Array<RolloutFile> = []
      for (const { found: f, identity, name, size } of rollouts) {
        if (f.linked) {
          const first = byIdentity.get(identity)
          if (first !== undefined) {
            skipped.push({ path: f.path, reason: `same file as ${first}` })
            continue
          }
          byIdentity.set(identity, f.path)
        }
        files.push({ path: f.path, relativePath: relativePathOf(home, f.path), archived: f.archived, name, size })
      }
      files.sort((a, b) => byteOrder(a.relativePath, b.relativePath))
      return { files, skipped }
    },
    catch: (error) => {
      const code = (error as NodeJS.ErrnoException).code
      return new HomeNotFound({
        home,
        reason: code === "ENOENT" ? "home folder not found" : code === "ENOTDIR" ? "not a folder" : String(error)
      })
    }
  })
