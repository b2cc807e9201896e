/**
 * The memory workspace (SPEC §11): `<home>/memories` as a git repository whose one commit is
 * the baseline of the last successful consolidation. Phase 2 syncs its selected inputs into
 * it (`raw_memories.md`, `rollout_summaries/`), diffs it against the baseline into
 * `phase2_workspace_diff.md` (no change: nothing to consolidate) and, after a consolidation,
 * replaces the history with one fresh baseline commit. Git is isomorphic-git (pure JS, loaded
 * when the service is built, never by the package's entry; docs/decisions.md, "The memory
 * workspace"); the unified diff is jsdiff's.
 *
 * Only the holder of the phase-2 lock writes here: every writing operation takes the claim's
 * ownership token and checks it (a heartbeat) first. The baseline swap itself runs inside the
 * database's write transaction with that check, so no claim can interleave with it.
 * @since 0.1.0
 */
import type * as JsdiffModule from "diff"
import type { StructuredPatchHunk } from "diff"
import { Context, Effect, Layer, Schema } from "effect"
import type * as IsoGit from "isomorphic-git"
import * as fs from "node:fs"
import { join } from "node:path"
import {
  type ChangeStatus,
  RAW_MEMORIES_FILE,
  renderDiffFile,
  renderRawMemories,
  renderSummary,
  ROLLOUT_SUMMARIES_DIR,
  summaryFileName,
  WORKSPACE_DIFF_FILE,
  type WorkspaceChange,
  type WorkspaceDiff,
  type WorkspaceInput
} from "../../domain/MemoryWorkspace.js"
import { type InvalidInput, validThreadId } from "../engine/EngineError.js"
import { type DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import { JobNotOwned, MEMORY_JOBS_LOCK, MemoryJobs } from "./MemoryJobs.js"
import { storeFailure } from "./StoreFailure.js"

/**
 * A workspace operation that failed: `path` is the file or folder, `reason` what went wrong
 * (`not-owned`: the caller does not hold the phase-2 lock, nothing was touched; `io`: the file
 * system refused; `repository`: the folder is not a usable git repository).
 * @since 0.1.0
 * @category errors
 */
export class MemoryWorkspaceError extends Schema.TaggedError<MemoryWorkspaceError>()("MemoryWorkspaceError", {
  path: Schema.String,
  operation: Schema.String,
  reason: Schema.Literal("not-owned", "io", "repository"),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.path}: ${this.operation}: ${this.detail}`
  }
}

/**
 * What a sync changed: files written (new or different content), summaries pruned (no longer
 * selected), files left as they were.
 * @since 0.1.0
 * @category models
 */
export interface SyncReport {
  readonly written: ReadonlyArray<string>
  readonly pruned: ReadonlyArray<string>
  readonly unchanged: number
}

/** @since 0.1.0 @category models */
export interface MemoryWorkspace {
  /** `<home>/memories`. */
  readonly root: string
  /**
   * Makes the folder a git repository with a baseline when it is not one (missing or
   * unusable `.git`): a fresh repository and an empty first commit. An existing baseline is kept.
   */
  readonly prepare: (ownershipToken: string) => Effect.Effect<void, MemoryWorkspaceError | DatabaseError>
  /**
   * Writes `raw_memories.md` and one summary per input under `rollout_summaries/`, and deletes
   * the summaries (`.md`) of inputs no longer selected. Files whose content is already right are
   * not rewritten. Thread ids name files, so each must be a UUID (SPEC §12).
   */
  readonly sync: (
    ownershipToken: string,
    inputs: ReadonlyArray<WorkspaceInput>
  ) => Effect.Effect<SyncReport, MemoryWorkspaceError | InvalidInput | DatabaseError>
  /** The workspace against its baseline, read only (any edit shows, whoever made it). */
  readonly diff: Effect.Effect<WorkspaceDiff, MemoryWorkspaceError>
  /**
   * The diff, written to `phase2_workspace_diff.md` when there is one; with none the file is
   * removed and `dirty` is false: phase 2 has nothing to consolidate.
   */
  readonly writeDiff: (ownershipToken: string) => Effect.Effect<WorkspaceDiff, MemoryWorkspaceError | DatabaseError>
  /**
   * Replaces the history with one commit of the workspace as it is (the diff file removed
   * first); returns that commit's id. Ownership is checked in the same database transaction
   * that swaps the new repository in.
   */
  readonly resetBaseline: (ownershipToken: string) => Effect.Effect<string, MemoryWorkspaceError | DatabaseError>
  /** The commit ids of the history, newest first (one after a reset). */
  readonly history: Effect.Effect<ReadonlyArray<string>, MemoryWorkspaceError>
}

/** @since 0.1.0 @category tags */
export const MemoryWorkspace = Context.GenericTag<MemoryWorkspace>("rollout-state/MemoryWorkspace")

type Git = typeof IsoGit
type Jsdiff = typeof JsdiffModule

const AUTHOR = { name: "rollout-state", email: "rollout-state@localhost" }
/** The next repository is built inside the current `.git`, so no walk of the workspace sees it. */
const NEXT_GITDIR_PREFIX = "next-baseline-"
/** The repository being swapped out; a crash mid-swap leaves it, `prepare` removes it. */
const OLD_GITDIR_PREFIX = ".git-old-"

const load = <A>(what: string, root: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (cause) =>
      new MemoryWorkspaceError({
        path: root,
        operation: "load",
        reason: "io",
        detail: `cannot load ${what}: ${String(cause)}`,
        cause
      })
  })

/** The libraries, loaded on first use: the CLI's start-up and the package entry never pay for them. */
const libraries = (root: string) =>
  Effect.all({
    git: load("isomorphic-git", root, async () => {
      const module = await import("isomorphic-git")
      // Node loads the package's CommonJS build: its functions may sit on `default` only.
      const named: Git = module
      return "statusMatrix" in named ? named : (module as unknown as { default: Git }).default
    }),
    jsdiff: load("diff", root, async () => {
      const module = await import("diff")
      const named: Jsdiff = module
      return "structuredPatch" in named ? named : (module as unknown as { default: Jsdiff }).default
    })
  })

const failure = (path: string, operation: string, reason: MemoryWorkspaceError["reason"] = "io") => (cause: unknown) =>
  new MemoryWorkspaceError({
    path,
    operation,
    reason,
    detail: cause instanceof Error ? cause.message : String(cause),
    cause
  })

const attempt = <A>(path: string, operation: string, f: () => Promise<A>, reason?: MemoryWorkspaceError["reason"]) =>
  Effect.tryPromise({ try: f, catch: failure(path, operation, reason) })

const readText = (file: string): Promise<string | undefined> =>
  fs.promises.readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined
    throw e
  })

/** Workspace files, `/`-separated and sorted, without `.git`, a half-swapped repository or the diff file. */
const listFiles = async (root: string): Promise<Array<string>> => {
  const files: Array<string> = []
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await fs.promises.readdir(dir, { withFileTypes: true })
    for (const entry of entries) {
      const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`
      if (entry.name === ".git" || (prefix === "" && entry.name.startsWith(OLD_GITDIR_PREFIX))) continue
      if (path === WORKSPACE_DIFF_FILE) continue
      if (entry.isDirectory()) await walk(join(dir, entry.name), path)
      else if (entry.isFile() || entry.isSymbolicLink()) files.push(path)
    }
  }
  await walk(root, "")
  return files.sort()
}

const isBinary = (bytes: Uint8Array) => bytes.subarray(0, 8000).includes(0)

/** One file's section of a git-style unified diff. */
const filePatch = (
  jsdiff: Jsdiff,
  path: string,
  status: ChangeStatus,
  before: Uint8Array | undefined,
  after: Uint8Array | undefined
): string => {
  const header = [
    `diff --git a/${path} b/${path}`,
    ...(status === "added" ? ["new file mode 100644"] : status === "deleted" ? ["deleted file mode 100644"] : [])
  ]
  const from = before === undefined ? "/dev/null" : `a/${path}`
  const to = after === undefined ? "/dev/null" : `b/${path}`
  if ((before !== undefined && isBinary(before)) || (after !== undefined && isBinary(after))) {
    return [...header, `Binary files ${from} and ${to} differ`, ""].join("\n")
  }
  const decoder = new TextDecoder()
  const patch = jsdiff.structuredPatch(
    from,
    to,
    before === undefined ? "" : decoder.decode(before),
    after === undefined ? "" : decoder.decode(after),
    undefined,
    undefined,
    { context: 3 }
  )
  const hunk = (h: StructuredPatchHunk) => {
    // As git writes it: an empty side starts one line before, a one-line side has no count.
    const range = (start: number, lines: number) =>
      `${lines === 0 ? start - 1 : start}${lines === 1 ? "" : `,${lines}`}`
    return [`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`, ...h.lines]
  }
  return [...header, `--- ${from}`, `+++ ${to}`, ...patch.hunks.flatMap(hunk), ""].join("\n")
}

/**
 * The workspace at `root` against its baseline, read only; `repository` when it has none.
 * The CLI's `memories workspace diff` uses this without a database.
 * @since 0.1.0
 */
export const diffAt = (root: string): Effect.Effect<WorkspaceDiff, MemoryWorkspaceError> =>
  Effect.gen(function*() {
    if (!fs.existsSync(root)) {
      return yield* new MemoryWorkspaceError({
        path: root,
        operation: "diff",
        reason: "repository",
        detail: "no memory workspace yet (phase 2 has not run in this home)"
      })
    }
    // Read only: the index's stat cache is not refreshed, so a home nobody may write still diffs.
    return yield* diffWith(yield* libraries(root), root, {}, false)
  })

const headOf = (git: Git, root: string, operation: string) =>
  attempt(
    root,
    operation,
    () => git.resolveRef({ fs, dir: root, ref: "HEAD" }),
    "repository"
  ).pipe(
    Effect.mapError((e) =>
      new MemoryWorkspaceError({ ...e, detail: `not a git repository with a baseline commit (${e.detail})` })
    )
  )

const diffWith = (
  libs: { readonly git: Git; readonly jsdiff: Jsdiff },
  root: string,
  cache: object,
  refresh = true
): Effect.Effect<WorkspaceDiff, MemoryWorkspaceError> =>
  Effect.gen(function*() {
    const { git, jsdiff } = libs
    const head = yield* headOf(git, root, "diff")
    const rows = yield* attempt(root, "diff", () =>
      git.statusMatrix({
        fs,
        dir: root,
        cache,
        refresh,
        filter: (path) => path !== WORKSPACE_DIFF_FILE && !path.startsWith(OLD_GITDIR_PREFIX)
      }), "repository")
    const changes: Array<WorkspaceChange> = []
    for (const [path, inHead, inWorkdir] of rows) {
      if (inHead === 0 && inWorkdir === 2) changes.push({ path, status: "added" })
      else if (inHead === 1 && inWorkdir === 2) changes.push({ path, status: "modified" })
      else if (inHead === 1 && inWorkdir === 0) changes.push({ path, status: "deleted" })
    }
    changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    const sections = yield* Effect.forEach(changes, (change) =>
      Effect.gen(function*() {
        const before = change.status === "added"
          ? undefined
          : (yield* attempt(
            root,
            "diff",
            () => git.readBlob({ fs, dir: root, oid: head, filepath: change.path, cache }),
            "repository"
          )).blob
        const after = change.status === "deleted"
          ? undefined
          : yield* attempt(join(root, change.path), "diff", () => fs.promises.readFile(join(root, change.path)))
        return filePatch(jsdiff, change.path, change.status, before, after)
      }))
    return { dirty: changes.length > 0, changes, patch: sections.join("") }
  })

/** @since 0.1.0 @category constructors */
export const make = (options: { readonly home: string }) =>
  Effect.gen(function*() {
    const database = yield* SqlDatabase
    const jobs = yield* MemoryJobs
    const root = join(options.home, "memories")
    const libs = yield* libraries(root)
    const { git } = libs
    // isomorphic-git's cache of parsed objects and index entries, shared by calls until a reset.
    let cache = {}

    /** The caller holds the phase-2 lock (its lease is extended), or `not-owned`. */
    const owned = (ownershipToken: string, operation: string) =>
      jobs.heartbeatPhase2({ ownershipToken }).pipe(
        Effect.asVoid,
        Effect.catchIf(
          (e): e is JobNotOwned => e instanceof JobNotOwned,
          () =>
            Effect.fail(
              new MemoryWorkspaceError({
                path: root,
                operation,
                reason: "not-owned",
                detail: "the phase-2 lock is not held by this token (lease lost or job finished); nothing was touched"
              })
            )
        )
      )

    const removeDiffFile = attempt(
      join(root, WORKSPACE_DIFF_FILE),
      "remove diff file",
      () => fs.promises.rm(join(root, WORKSPACE_DIFF_FILE), { force: true })
    )

    /** Leftovers of an interrupted reset: the half-built next repository, a swapped-out old one. */
    const removeLeftovers = attempt(root, "prepare", async () => {
      const gitdir = join(root, ".git")
      for (const name of await fs.promises.readdir(gitdir).catch(() => [])) {
        if (name.startsWith(NEXT_GITDIR_PREFIX)) {
          await fs.promises.rm(join(gitdir, name), { recursive: true, force: true })
        }
      }
      for (const name of await fs.promises.readdir(root)) {
        if (name.startsWith(OLD_GITDIR_PREFIX)) {
          await fs.promises.rm(join(root, name), { recursive: true, force: true })
        }
      }
    })

    const hasBaseline = Effect.isSuccess(headOf(git, root, "prepare"))

    const initialise = attempt(root, "initialise repository", async () => {
      await fs.promises.rm(join(root, ".git"), { recursive: true, force: true })
      await git.init({ fs, dir: root, defaultBranch: "main" })
      await git.commit({ fs, dir: root, message: "empty baseline", author: AUTHOR, cache })
    })

    const prepare = (ownershipToken: string) =>
      Effect.gen(function*() {
        yield* owned(ownershipToken, "prepare")
        yield* attempt(root, "prepare", () => fs.promises.mkdir(root, { recursive: true }))
        yield* removeLeftovers
        yield* removeDiffFile
        if (!(yield* hasBaseline)) yield* initialise
      })

    const sync = (ownershipToken: string, inputs: ReadonlyArray<WorkspaceInput>) =>
      Effect.gen(function*() {
        yield* Effect.forEach(inputs, (i) => validThreadId(i.threadId, "memory workspace: sync: thread id"))
        yield* owned(ownershipToken, "sync")
        const dir = join(root, ROLLOUT_SUMMARIES_DIR)
        yield* attempt(dir, "sync", () => fs.promises.mkdir(dir, { recursive: true }))
        const wanted = new Map<string, string>()
        for (const input of inputs) {
          wanted.set(`${ROLLOUT_SUMMARIES_DIR}/${summaryFileName(input)}`, renderSummary(input))
        }
        wanted.set(RAW_MEMORIES_FILE, renderRawMemories(inputs))
        const pruned: Array<string> = []
        const entries = yield* attempt(dir, "sync", () => fs.promises.readdir(dir, { withFileTypes: true }))
        for (const entry of entries) {
          const path = `${ROLLOUT_SUMMARIES_DIR}/${entry.name}`
          // Only summaries are pruned: anything else a person put there stays.
          if (entry.isFile() && entry.name.endsWith(".md") && !wanted.has(path)) {
            yield* attempt(join(root, path), "prune", () => fs.promises.rm(join(root, path), { force: true }))
            pruned.push(path)
          }
        }
        const written: Array<string> = []
        let unchanged = 0
        for (const [path, text] of wanted) {
          const file = join(root, path)
          if ((yield* attempt(file, "sync", () => readText(file))) === text) unchanged++
          else {
            yield* attempt(file, "sync", () => fs.promises.writeFile(file, text))
            written.push(path)
          }
        }
        return { written: written.sort(), pruned: pruned.sort(), unchanged }
      })

    const writeDiff = (ownershipToken: string) =>
      Effect.gen(function*() {
        yield* owned(ownershipToken, "write diff")
        yield* removeDiffFile
        const diff = yield* diffWith(libs, root, cache)
        if (diff.dirty) {
          const file = join(root, WORKSPACE_DIFF_FILE)
          yield* attempt(file, "write diff", () => fs.promises.writeFile(file, renderDiffFile(diff)))
        }
        return diff
      })

    const resetBaseline = (ownershipToken: string) =>
      Effect.gen(function*() {
        yield* owned(ownershipToken, "reset baseline")
        yield* removeDiffFile
        const next = `${NEXT_GITDIR_PREFIX}${crypto.randomUUID()}`
        const gitdir = join(root, ".git", next)
        // Built beside the current repository, outside the write lock: hashing every file takes seconds.
        const oid = yield* attempt(root, "reset baseline", async () => {
          await fs.promises.rm(gitdir, { recursive: true, force: true })
          await git.init({ fs, dir: root, gitdir, defaultBranch: "main" })
          const files = await listFiles(root)
          if (files.length > 0) await git.add({ fs, dir: root, gitdir, filepath: files, parallel: true })
          return git.commit({ fs, dir: root, gitdir, message: "baseline", author: AUTHOR })
        })
        const old = join(root, `${OLD_GITDIR_PREFIX}${crypto.randomUUID()}`)
        const swap = attempt(root, "reset baseline", async () => {
          await fs.promises.rename(join(root, ".git"), old)
          try {
            await fs.promises.rename(join(old, next), join(root, ".git"))
          } catch (e) {
            await fs.promises.rename(old, join(root, ".git"))
            throw e
          }
        })
        // The check and the swap under one write lock: a claim waits for both or precedes both.
        yield* database.exclusive(MEMORY_JOBS_LOCK)(Effect.zipRight(owned(ownershipToken, "reset baseline"), swap))
          .pipe(
            Effect.tapError(() =>
              attempt(gitdir, "reset baseline", () => fs.promises.rm(gitdir, { recursive: true, force: true })).pipe(
                Effect.ignore
              )
            ),
            Effect.catchTag("SqlError", (e) => Effect.fail(storeFailure(database, "jobs")("reset baseline")(e)))
          )
        // The old history goes, so content deleted from the workspace leaves no object behind.
        yield* attempt(old, "reset baseline", () => fs.promises.rm(old, { recursive: true, force: true }))
        cache = {}
        return oid
      })

    const history = Effect.gen(function*() {
      yield* headOf(git, root, "history")
      const log = yield* attempt(root, "history", () => git.log({ fs, dir: root, cache }), "repository")
      return log.map((entry) => entry.oid)
    })

    return MemoryWorkspace.of({
      root,
      prepare,
      sync,
      diff: Effect.suspend(() => diffWith(libs, root, cache)),
      writeDiff,
      resetBaseline,
      history
    })
  })

/** @since 0.1.0 @category layers */
export const layer = (options: { readonly home: string }) => Layer.effect(MemoryWorkspace, make(options))
