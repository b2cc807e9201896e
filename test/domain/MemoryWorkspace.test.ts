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

  it("raw_memories.md, whole: a section per input in thread-id order, naming its time, cwd, rollout and summary file", () => {
    const b = "0b000000-1111-7222-8333-444455556666"
    const f = "ffffffff-1111-7222-8333-444455556666"
    const text = renderRawMemories([
      input({ threadId: f, rawMemory: "- second", rolloutSlug: "Two", sourceUpdatedAt: 86_400_000 }),
      input(),
      input({ threadId: b, rawMemory: " - first ", cwd: "/b", rolloutPath: "/home/b.jsonl" })
    ])
    const section = (thread: string, at: string, cwd: string, path: string, file: string, memory: string) =>
      `## Thread \`${thread}\`\nupdated_at: ${at}\ncwd: ${cwd}\nrollout_path: ${path}\nrollout_summary_file: ${file}\n\n${memory}\n`
    expect(text).toBe(
      "# Raw Memories\n\nStage-1 raw memories, by thread id:\n\n" + [
        section(id, "1970-01-01T00:00:00.000Z", "/work", "/home/r.jsonl", `${id}.md`, "- likes tests"),
        section(b, "1970-01-01T00:00:00.000Z", "/b", "/home/b.jsonl", `${b}.md`, "- first"),
        section(f, "1970-01-02T00:00:00.000Z", "/work", "/home/r.jsonl", `${f}-two.md`, "- second")
      ].join("\n")
    )
  })

  it("the diff file, whole: header, one line per change, the patch in a block; cut only past max", () => {
    const head = "# Memory Workspace Diff\n\nWritten before phase-2 memory consolidation: the workspace against its " +
      "last baseline. Read it first; do not edit it.\n\n## Changes\n"
    expect(renderDiffFile({ dirty: false, changes: [], patch: "" })).toBe(`${head}- none\n`)
    const diff = {
      dirty: true,
      changes: [{ path: "a.md", status: "added" as const }, { path: "b/c.md", status: "deleted" as const }],
      patch: "+one\n+two\n"
    }
    const changes = "- added a.md\n- deleted b/c.md\n\n## Diff\n\n"
    // The patch is exactly 10 characters: at max 10 it is whole.
    expect(renderDiffFile(diff, 10)).toBe(`${head}${changes}\`\`\`diff\n+one\n+two\n\`\`\`\n`)
    expect(renderDiffFile(diff, 9)).toBe(`${head}${changes}\`\`\`diff\n+one\n\`\`\`\n\n[diff cut at 9 characters]\n`)
    expect(renderDiffFile({ ...diff, patch: "+x" })).toBe(`${head}${changes}\`\`\`diff\n+x\n\`\`\`\n`)
  })
})
