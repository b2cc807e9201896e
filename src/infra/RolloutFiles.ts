/**
 * Finds the rollout files of a home: `sessions/**` (live) and `archived_sessions/**`.
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { realpathSync, statSync } from "node:fs"
import { readdir, stat } from "node:fs/promises"
import { join, relative, sep } from "node:path"
import {
  isCopySuffixed,
  looksLikeRollout,
  parseRolloutFileName,
  type RolloutFileName
} from "../domain/RolloutFileName.js"

/** @since 0.1.0 */
export const SESSIONS_DIR = "sessions"
/** @since 0.1.0 */
export const ARCHIVED_SESSIONS_DIR = "archived_sessions"

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
}

const walk = async (
  dir: string,
  archived: boolean,
  found: Array<Found>,
  skipped: Array<SkippedFile>
): Promise<void> => {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== "ENOENT") skipped.push({ path: dir, reason: `unreadable folder (${code ?? String(error)})` })
    return
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) await walk(path, archived, found, skipped)
    else if (entry.isFile()) found.push({ path, baseName: entry.name, archived })
  }
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * A file moved or deleted while the home is scanned (an archive by another process) is skipped.
 * Synchronous: awaited one by one, a promise stat cost a thread pool round trip per file
 * (~0.6 s of listing 10,000 files on the bench machine, against ~0.05 s).
 */
const sizeOf = (path: string): number | undefined => statSync(path, { throwIfNoEntry: false })?.size

/**
 * Lists a home's rollouts. A `.jsonl.zst` is hidden by its plain sibling; empty
 * `… (1).jsonl` copies are ignored; other names are reported as skipped.
 * @since 0.1.0
 */
export const listRolloutFiles = (home: string): Effect.Effect<HomeListing, HomeNotFound> =>
  Effect.tryPromise({
    try: async () => {
      const info = await stat(home)
      if (!info.isDirectory()) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR" })
      const found: Array<Found> = []
      const skipped: Array<SkippedFile> = []
      await walk(join(home, SESSIONS_DIR), false, found, skipped)
      await walk(join(home, ARCHIVED_SESSIONS_DIR), true, found, skipped)
      const plainPaths = new Set(found.filter((f) => f.baseName.endsWith(".jsonl")).map((f) => f.path))
      const files: Array<RolloutFile> = []
      for (const f of found) {
        if (f.baseName.endsWith(".jsonl.zst") && plainPaths.has(f.path.slice(0, -".zst".length))) continue
        const name = parseRolloutFileName(f.baseName)
        if (name === undefined) {
          if (!looksLikeRollout(f.baseName)) {
            if (f.baseName.endsWith(".jsonl") || f.baseName.endsWith(".zst")) {
              skipped.push({ path: f.path, reason: "file name does not match rollout-<time>-<uuid>.jsonl" })
            }
            continue
          }
          const size = sizeOf(f.path)
          if (size === undefined || (isCopySuffixed(f.baseName) && size === 0)) continue
          skipped.push({ path: f.path, reason: "file name does not match rollout-<time>-<uuid>.jsonl" })
          continue
        }
        const size = sizeOf(f.path)
        if (size === undefined) continue
        files.push({
          path: f.path,
          relativePath: relative(home, f.path).split(sep).join("/"),
          archived: f.archived,
          name,
          size
        })
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
