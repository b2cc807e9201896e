/**
 * What the memory workspace (`<home>/memories`, SPEC §11) holds, as text: the files phase 2
 * writes from its selected inputs (`raw_memories.md`, one `rollout_summaries/<name>.md` per
 * input) and the rendering of a diff against the baseline (`phase2_workspace_diff.md`). Pure:
 * the git side lives in `infra/stores/MemoryWorkspace`.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export const RAW_MEMORIES_FILE = "raw_memories.md"
/** @since 0.1.0 */
export const ROLLOUT_SUMMARIES_DIR = "rollout_summaries"
/** @since 0.1.0 */
export const WORKSPACE_DIFF_FILE = "phase2_workspace_diff.md"
/** The diff file's patch is cut at this many UTF-16 units (the reference's 4 MiB). @since 0.1.0 */
export const WORKSPACE_DIFF_MAX = 4 * 1024 * 1024

/**
 * What the workspace needs of one selected stage-1 output (a `MemoryJobs.Phase2Input` is one).
 * @since 0.1.0
 * @category models
 */
export interface WorkspaceInput {
  readonly threadId: string
  readonly sourceUpdatedAt: number
  readonly rawMemory: string
  readonly rolloutSummary: string
  readonly rolloutSlug: string | null
  readonly cwd: string
  readonly rolloutPath: string
}

const SLUG_MAX = 60

/**
 * The name of an input's summary file under `rollout_summaries/`: the thread id, then the
 * slug phase 1 gave (lower-case letters and digits, anything else `_`, at most 60), so names
 * are unique per thread and stable while the slug is.
 * @since 0.1.0
 */
export const summaryFileName = (input: Pick<WorkspaceInput, "threadId" | "rolloutSlug">): string => {
  const slug = (input.rolloutSlug ?? "").slice(0, SLUG_MAX).toLowerCase().replace(/[^a-z0-9]/g, "_").replace(
    /_+$/,
    ""
  )
  return slug === "" ? `${input.threadId}.md` : `${input.threadId}-${slug}.md`
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * An input's summary file: its thread, source time, rollout and cwd, then the summary.
 * @since 0.1.0
 */
export const renderSummary = (input: WorkspaceInput): string =>
  [
    `thread_id: ${input.threadId}`,
    `updated_at: ${iso(input.sourceUpdatedAt)}`,
    `rollout_path: ${input.rolloutPath}`,
    `cwd: ${input.cwd}`,
    "",
    input.rolloutSummary.replace(/\n*$/, ""),
    ""
  ].join("\n")

/**
 * `raw_memories.md`: every input's raw memory in ascending thread-id order (whatever order the
 * selection came in, so the file changes only when the inputs do), each naming its summary file.
 * @since 0.1.0
 */
export const renderRawMemories = (inputs: ReadonlyArray<WorkspaceInput>): string => {
  if (inputs.length === 0) return "# Raw Memories\n\nNo raw memories yet.\n"
  const sorted = [...inputs].sort((a, b) => (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0))
  const sections = sorted.map((input) =>
    [
      `## Thread \`${input.threadId}\``,
      `updated_at: ${iso(input.sourceUpdatedAt)}`,
      `cwd: ${input.cwd}`,
      `rollout_path: ${input.rolloutPath}`,
      `rollout_summary_file: ${summaryFileName(input)}`,
      "",
      input.rawMemory.trim(),
      ""
    ].join("\n")
  )
  return `# Raw Memories\n\nStage-1 raw memories, by thread id:\n\n${sections.join("\n")}`
}

/**
 * How a file differs from the baseline.
 * @since 0.1.0
 * @category models
 */
export type ChangeStatus = "added" | "modified" | "deleted"

/** @since 0.1.0 @category models */
export interface WorkspaceChange {
  /** Relative to the workspace, `/`-separated. */
  readonly path: string
  readonly status: ChangeStatus
}

/**
 * The workspace against its baseline: every changed file (by path) and the unified diff of
 * them; `dirty: false` (no change) means phase 2 has nothing to consolidate.
 * @since 0.1.0
 * @category models
 */
export interface WorkspaceDiff {
  readonly dirty: boolean
  readonly changes: ReadonlyArray<WorkspaceChange>
  readonly patch: string
}

/**
 * `phase2_workspace_diff.md`: a header for the consolidating agent, the changed files, and the
 * patch in a `diff` block, cut at `max` with a note saying so.
 * @since 0.1.0
 */
export const renderDiffFile = (diff: WorkspaceDiff, max = WORKSPACE_DIFF_MAX): string => {
  const head = [
    "# Memory Workspace Diff",
    "",
    "Written before phase-2 memory consolidation: the workspace against its last baseline. Read it first; do not edit it.",
    "",
    "## Changes",
    ...(diff.changes.length === 0 ? ["- none"] : diff.changes.map((c) => `- ${c.status} ${c.path}`)),
    ""
  ]
  if (diff.changes.length === 0) return head.join("\n")
  const cut = diff.patch.length > max
  const body = cut ? diff.patch.slice(0, max).replace(/[^\n]*$/, "") : diff.patch
  return [
    ...head,
    "## Diff",
    "",
    "```diff",
    body.endsWith("\n") || body === "" ? body.slice(0, -1) : body,
    "```",
    ...(cut ? ["", `[diff cut at ${max} characters]`] : []),
    ""
  ].join("\n")
}
