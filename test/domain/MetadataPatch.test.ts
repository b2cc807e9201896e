import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { applyMetadataPatch, metadataPatchItems, metadataPatchProblem } from "../../src/domain/MetadataPatch.js"
import { decodeRolloutItem, encodeRolloutLine } from "../../src/domain/RolloutItem.js"
import { applyAll, initial } from "../../src/domain/ThreadFold.js"

const ID = "019a0000-0000-7000-8000-000000000001"
const TS = "2025-03-01T10:00:00.000Z"
const meta = { id: ID, timestamp: TS, cwd: "/w", memory_mode: "enabled", git: { commit_hash: "a", branch: "main" } }
const start = applyAll(initial(ID, { fileNameTimestamp: null, defaultModelProvider: "openai" }), [
  { type: "session_meta", timestamp: TS, payload: meta },
  { type: "event_msg", timestamp: TS, payload: { type: "thread_name_updated", thread_id: ID, thread_name: "Old" } }
])

/** The fold of the thread's lines plus the patch's, each written and read back as a file would be. */
const patched = (patch: Parameters<typeof metadataPatchItems>[0]) => {
  const items = metadataPatchItems(patch, start.metadata, meta, "2025-03-01T11:00:00.000Z")
  const read = items.map((item) => Either.getOrThrow(decodeRolloutItem(JSON.parse(encodeRolloutLine(item)))))
  return { items, metadata: applyAll(start, read).metadata }
}

describe("metadata patches", () => {
  it("refuses an empty patch and one with an empty or blank value, naming the problem", () => {
    expect(metadataPatchProblem({})).toBe(
      "empty patch: give at least one of gitSha, gitBranch, gitOriginUrl, name, memoryMode"
    )
    for (const patch of [{ gitSha: "" }, { gitBranch: "" }, { gitOriginUrl: "" }, { name: " " }, { memoryMode: "" }]) {
      const problem = metadataPatchProblem(patch)
      expect(problem).toMatch(/^invalid patch: /)
      expect(problem).toContain(Object.keys(patch)[0]!)
    }
    for (const patch of [{ gitSha: null }, { gitBranch: "b" }, { name: null }, { name: "n" }, { memoryMode: null }]) {
      expect(metadataPatchProblem(patch)).toBeUndefined()
    }
  })

  it("a name is recorded as a thread_name_updated event, null clearing it, and nothing else is written", () => {
    const set = patched({ name: "  New  " })
    expect(set.items.map((i) => i.type)).toEqual(["event_msg"])
    expect(set.items[0]!.payload).toEqual({ type: "thread_name_updated", thread_id: ID, thread_name: "New" })
    expect(set.metadata).toEqual({ ...start.metadata, name: "New", updatedAt: Date.parse("2025-03-01T11:00:00Z") })
    expect(patched({ name: null }).metadata.name).toBeNull()
  })

  it("a memory mode is recorded in a session meta copy keeping the rest of the meta; null clears it", () => {
    const set = patched({ memoryMode: "disabled" })
    expect(set.items.map((i) => i.type)).toEqual(["session_meta"])
    expect(set.items[0]!.payload).toEqual({ ...meta, memory_mode: "disabled" })
    expect(set.metadata.memoryMode).toBe("disabled")
    expect(set.metadata.gitSha).toBe("a")
    expect(patched({ memoryMode: null }).metadata.memoryMode).toBeNull()
  })

  it("git, memory mode and name at once: one session meta, then the name event; the fold gives applyMetadataPatch", () => {
    const patch = { gitBranch: null, gitOriginUrl: "u", memoryMode: "disabled", name: "N" }
    const both = patched(patch)
    expect(both.items.map((i) => i.type)).toEqual(["session_meta", "event_msg"])
    const { gitBranch, gitOriginUrl, gitSha, memoryMode, name } = both.metadata
    expect({ gitSha, gitBranch, gitOriginUrl, name, memoryMode }).toEqual(applyMetadataPatch(start.metadata, patch))
    expect({ gitSha, gitBranch, gitOriginUrl, name, memoryMode }).toEqual({
      gitSha: "a",
      gitBranch: null,
      gitOriginUrl: "u",
      name: "N",
      memoryMode: "disabled"
    })
  })

  it("a blank name is refused as blank", () => {
    expect(metadataPatchProblem({ name: "  " })).toMatch(/name.*blank|blank.*name/su)
  })

  it("each git field alone is recorded in a session meta copy with the resulting git info", () => {
    const git = (patch: Parameters<typeof metadataPatchItems>[0]) => {
      const result = patched(patch)
      expect(result.items.map((i) => i.type)).toEqual(["session_meta"])
      // The copy keeps the meta's memory mode, as written to the file.
      expect((JSON.parse(encodeRolloutLine(result.items[0]!)) as { payload: object }).payload)
        .toHaveProperty("memory_mode", "enabled")
      const { gitBranch, gitOriginUrl, gitSha } = result.metadata
      return {
        payload: (result.items[0]!.payload as { git?: unknown }).git,
        folded: { gitSha, gitBranch, gitOriginUrl }
      }
    }
    expect(git({ gitSha: "b" })).toEqual({
      payload: { commit_hash: "b", branch: "main", repository_url: null },
      folded: { gitSha: "b", gitBranch: "main", gitOriginUrl: null }
    })
    expect(git({ gitBranch: "dev" })).toEqual({
      payload: { commit_hash: "a", branch: "dev", repository_url: null },
      folded: { gitSha: "a", gitBranch: "dev", gitOriginUrl: null }
    })
    expect(git({ gitOriginUrl: "https://x/y.git" })).toEqual({
      payload: { commit_hash: "a", branch: "main", repository_url: "https://x/y.git" },
      folded: { gitSha: "a", gitBranch: "main", gitOriginUrl: "https://x/y.git" }
    })
    // A memory mode alone leaves the meta's git as it was.
    expect((patched({ memoryMode: "disabled" }).items[0]!.payload as { git?: unknown }).git).toEqual(meta.git)
  })

  it("applyMetadataPatch keeps what the patch leaves out and trims a name", () => {
    const current = { gitSha: "a", gitBranch: "main", gitOriginUrl: null, name: "Old", memoryMode: "enabled" }
    expect(applyMetadataPatch(current, { gitSha: "b" })).toEqual({ ...current, gitSha: "b" })
    expect(applyMetadataPatch(current, { name: "  New  " })).toEqual({ ...current, name: "New" })
    expect(applyMetadataPatch(current, { name: null, memoryMode: null })).toEqual({
      ...current,
      name: null,
      memoryMode: null
    })
  })
})
