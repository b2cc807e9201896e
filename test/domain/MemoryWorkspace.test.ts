import { describe, expect, it } from "vitest"
import {
  renderDiffFile,
  renderRawMemories,
  renderSummary,
  summaryFileName,
  type WorkspaceInput
} from "../../src/domain/MemoryWorkspace.js"

const id = "019a9f10-1111-7222-8333-444455556666"
const input = (overrides: Partial<WorkspaceInput> = {}): WorkspaceInput => ({
  threadId: id,
  sourceUpdatedAt: 0,
  rawMemory: "\n- likes tests\n\n",
  rolloutSummary: "fixed the build\n\n\n",
  rolloutSlug: null,
  cwd: "/work",
  rolloutPath: "/home/r.jsonl",
  ...overrides
})

describe("memory workspace files", () => {
  it("a summary is named by thread id and the slug in lower-case letters and digits, at most 60, trailing _ dropped", () => {
    expect(summaryFileName(input())).toBe(`${id}.md`)
    expect(summaryFileName(input({ rolloutSlug: "Fix the Build!!" }))).toBe(`${id}-fix_the_build.md`)
    expect(summaryFileName(input({ rolloutSlug: "?!" }))).toBe(`${id}.md`)
    expect(summaryFileName(input({ rolloutSlug: "a".repeat(70) }))).toBe(`${id}-${"a".repeat(60)}.md`)
    expect(summaryFileName(input({ rolloutSlug: "../../etc" }))).toBe(`${id}-______etc.md`)
  })

  it("a summary file has its thread's facts, then the summary with one final newline", () => {
    expect(renderSummary(input())).toBe(
      `thread_id: ${id}\nupdated_at: 1970-01-01T00:00:00.000Z\nrollout_path: /home/r.jsonl\ncwd: /work\n\nfixed the build\n`
    )
  })

  it("raw_memories.md says when there is nothing, and lists inputs by thread id with their trimmed memory", () => {
    expect(renderRawMemories([])).toBe("# Raw Memories\n\nNo raw memories yet.\n")
    const later = input({ threadId: "ffffffff-1111-7222-8333-444455556666", rawMemory: "- second" })
    const text = renderRawMemories([later, input()])
    expect(text.indexOf(id)).toBeLessThan(text.indexOf(later.threadId))
    expect(text).toContain(`rollout_summary_file: ${id}.md\n\n- likes tests\n`)
  })

  it("the diff file lists the changes and the patch; a clean one says none; a long patch is cut at a line with a note", () => {
    expect(renderDiffFile({ dirty: false, changes: [], patch: "" })).toContain("## Changes\n- none\n")
    const diff = { dirty: true, changes: [{ path: "a.md", status: "added" as const }], patch: "+one\n+two\n+three\n" }
    const whole = renderDiffFile(diff)
    expect(whole).toContain("## Changes\n- added a.md\n")
    expect(whole).toContain("```diff\n+one\n+two\n+three\n```\n")
    expect(whole).not.toContain("cut at")
    const cut = renderDiffFile(diff, 7)
    expect(cut).toContain("```diff\n+one\n```\n\n[diff cut at 7 characters]\n")
  })
})
