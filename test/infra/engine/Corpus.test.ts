/**
 * Every sample rollout of the shared corpus (the sample home and the real files) reads
 * without a parse error and folds to plausible metadata; some files get exact values,
 * taken from the files themselves.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { decompress } from "fzstd"
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { turnsOf } from "../../../src/domain/ThreadState.js"
import { type FileFold, foldRolloutFile, foldRolloutFileNow } from "../../../src/infra/rollout/RolloutFold.js"
import { readRolloutBatches, type RolloutEntry } from "../../../src/infra/rollout/RolloutReader.js"
import { CORPUS, CORPUS_HOME, CORPUS_REAL } from "../../fixtures/corpus.js"

const HOME = CORPUS_HOME
const REAL = CORPUS_REAL

const ROLLOUT = /\.jsonl(\.zst)?$/

/** Discovered when the tests are collected, so a file added to the corpus is covered. */
const homeFiles = readdirSync(HOME, { recursive: true, encoding: "utf8" })
  .map((relative) => join(HOME, relative))
  .filter((path) => ROLLOUT.test(path) && statSync(path).isFile())
  .sort()
const realFiles = readdirSync(REAL)
  .filter((name) => name.endsWith(".jsonl"))
  .map((name) => join(REAL, name))
  .sort()

const contentOf = (path: string): Buffer => {
  const raw = readFileSync(path)
  return path.endsWith(".zst") ? Buffer.from(decompress(raw)) : raw
}

/** Lines with something besides white space (a CRLF line's `\r` is white space). */
const nonBlankLines = (path: string): Array<string> =>
  contentOf(path).toString("utf8").split("\n").filter((line) => line.trim() !== "")

const readFull = (path: string): Effect.Effect<Array<RolloutEntry>> =>
  Effect.sync(() => {
    const entries: Array<RolloutEntry> = []
    for (const batch of readRolloutBatches(path, { decode: "full" })) entries.push(...batch)
    return entries
  })

const fold = (path: string) => foldRolloutFile(path, { defaultModelProvider: "openai" })

const MIN_CREATED = Date.UTC(2025, 0, 1)
const MAX_CREATED = Date.UTC(2027, 0, 1)

describe("corpus: every sample rollout reads cleanly", () => {
  it("finds the corpus files", () => {
    expect(homeFiles.length).toBeGreaterThanOrEqual(3)
    expect(realFiles.length).toBeGreaterThanOrEqual(11)
  })

  for (const path of [...homeFiles, ...realFiles]) {
    const name = path.slice(CORPUS.length + 1)
    it.effect(`${name} reads without parse errors and folds to plausible metadata`, () =>
      Effect.gen(function*() {
        const expectedItems = nonBlankLines(path).length
        const size = contentOf(path).length

        const folded = yield* fold(path)
        expect(folded.counts.parseErrors).toBe(0)
        expect(folded.issues.filter((i) => i._tag === "LineParseError")).toEqual([])
        expect(folded.end.tornTailBytes).toBe(0)
        expect(folded.end.offset).toBe(size)
        expect(folded.counts.items).toBe(expectedItems)

        const entries = yield* readFull(path)
        const issues = entries.flatMap((e) => (e._tag === "Issue" ? [e.issue] : []))
        expect(issues.filter((i) => i._tag === "LineParseError").map((i) => i.message)).toEqual([])
        const end = entries[entries.length - 1]
        expect(end?._tag).toBe("End")
        if (end?._tag === "End") {
          expect(end.tornTailBytes).toBe(0)
          expect(end.offset).toBe(size)
        }
        expect(entries.filter((e) => e._tag === "Item")).toHaveLength(expectedItems)

        // Skimming payloads the fold ignores changes nothing about the fold.
        const foldedFull = yield* foldRolloutFile(path, { defaultModelProvider: "openai", decode: "full" })
        expect(folded.state).toEqual(foldedFull.state)

        // The one-call fold of small reads gives the same fold, from the start and resumed halfway.
        expect(Either.getOrThrow(foldRolloutFileNow(path, { defaultModelProvider: "openai" }))).toEqual(folded)
        if (!path.endsWith(".zst")) {
          const content = contentOf(path)
          const cut = content.indexOf(0x0a, Math.floor(content.length / 2)) + 1
          const copy = join(mkdtempSync(join(tmpdir(), "corpus-")), basename(path))
          writeFileSync(copy, content.subarray(0, cut))
          const first = yield* foldRolloutFile(copy, { defaultModelProvider: "openai" })
          appendFileSync(copy, content.subarray(cut))
          const resume = { state: first.state, offset: first.end.offset, nextLineNumber: first.end.nextLineNumber }
          const resumed = yield* foldRolloutFile(copy, { defaultModelProvider: "openai", resume })
          expect(Either.getOrThrow(foldRolloutFileNow(copy, { defaultModelProvider: "openai", resume }))).toEqual(
            resumed
          )
          expect(resumed.state).toEqual(folded.state)
          expect(resumed.end.offset).toBe(size)
        }

        const m = folded.state.metadata
        expect(m.id).toMatch(/^[0-9a-f-]{36}$/)
        expect(m.createdAt).toBeGreaterThanOrEqual(MIN_CREATED)
        expect(m.createdAt).toBeLessThan(MAX_CREATED)
        expect(m.updatedAt).toBeGreaterThanOrEqual(m.createdAt)
        expect(m.tokensUsed).toBeGreaterThanOrEqual(0)
      }))
  }
})

// ---------------------------------------------------------------------------------------
// Exact values of particular files (read off the files with JSON.parse / python3)
// ---------------------------------------------------------------------------------------

const homeFile = (fileName: string): string => {
  const found = homeFiles.find((path) => basename(path) === fileName)
  if (found === undefined) throw new Error(`corpus file missing: ${fileName}`)
  return found
}

const ms = (iso: string): number => Date.parse(iso)

const summary = (folded: FileFold) => ({
  ...folded.state.metadata,
  dynamicTools: folded.state.dynamicTools.length,
  turns: turnsOf(folded.state).length
})

/** The lines of a file as plain JSON, parsed without the code under test. */
const jsonLines = (path: string): Array<unknown> => nonBlankLines(path).map((line) => JSON.parse(line) as unknown)

/** A field of parsed JSON by its path; `undefined` where the path leaves the JSON's objects. */
const at = (value: unknown, ...path: Array<string>): unknown =>
  path.reduce<unknown>(
    (v, key) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined),
    value
  )

describe("corpus: exact metadata of the sample home", () => {
  it.effect("the editor session in sessions/2025/11/20 folds to its meta, context, message and token count", () =>
    Effect.gen(function*() {
      const folded = yield* fold(homeFile("rollout-2025-11-20T16-59-09-019a9f10-1111-7222-8333-444455556666.jsonl"))
      expect(summary(folded)).toMatchObject({
        id: "019a9f10-1111-7222-8333-444455556666",
        createdAt: ms("2025-11-20T16:59:09.850Z"),
        updatedAt: ms("2025-11-20T16:59:20.100Z"),
        title: "add a discount code field to the cart",
        firstUserMessage: "add a discount code field to the cart",
        model: "gpt-5.1-codex",
        reasoningEffort: "medium",
        cwd: "/home/dev/shop",
        source: "vscode",
        threadSource: null,
        agentRole: null,
        agentNickname: null,
        agentPath: null,
        parentThreadId: null,
        modelProvider: "openai",
        cliVersion: "0.63.0",
        gitSha: "9f8e7d6c",
        gitBranch: "feature/cart",
        gitOriginUrl: "https://example.org/shop.git",
        name: null,
        sandboxPolicy: "{\"type\":\"workspace-write\",\"writable_roots\":[],\"network_access\":false}",
        approvalMode: "on-request",
        tokensUsed: 9300,
        dynamicTools: 0,
        turns: 1
      })
      expect(turnsOf(folded.state)[0]).toMatchObject({
        index: 0,
        userMessage: "add a discount code field to the cart",
        model: "gpt-5.1-codex",
        reasoningEffort: "medium",
        tokensUsed: 9300
      })
    }))

  it.effect("the archived subagent thread keeps its spawn source as compact JSON, its agent fields, name and tools", () =>
    Effect.gen(function*() {
      const path = homeFile("rollout-2025-11-21T08-00-00-019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff.jsonl")
      expect(path).toContain("/archived_sessions/")
      const folded = yield* fold(path)
      const source = {
        subagent: {
          thread_spawn: {
            parent_thread_id: "019a9f10-1111-7222-8333-444455556666",
            depth: 1,
            agent_role: "reviewer",
            agent_nickname: "Quill"
          }
        }
      }
      expect(summary(folded)).toMatchObject({
        id: "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff",
        createdAt: ms("2025-11-21T08:00:00.000Z"),
        updatedAt: ms("2025-11-21T08:00:04.000Z"),
        title: "review the cart change",
        firstUserMessage: "review the cart change",
        model: "gpt-5.1-codex-mini",
        reasoningEffort: null,
        cwd: "/home/dev/shop",
        source: JSON.stringify(source),
        threadSource: "subagent",
        agentRole: "reviewer",
        agentNickname: "Quill",
        agentPath: "/root/reviewer_1",
        parentThreadId: "019a9f10-1111-7222-8333-444455556666",
        gitSha: null,
        gitBranch: null,
        gitOriginUrl: null,
        name: "Cart review",
        sandboxPolicy: "read-only",
        approvalMode: "never",
        tokensUsed: 0,
        dynamicTools: 1,
        turns: 1
      })
      expect(folded.state.dynamicTools[0]).toMatchObject({
        name: "lookup_ticket",
        description: "find a ticket",
        hidden: false
      })
    }))

  it.effect("the legacy file in sessions/2025/05/10 takes id, creation time and git from its bare header", () =>
    Effect.gen(function*() {
      const folded = yield* fold(homeFile("rollout-2025-05-10T09-15-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl"))
      expect(summary(folded)).toMatchObject({
        id: "5973b6c0-94b8-487b-a530-2aeb6098ae0e",
        createdAt: ms("2025-05-10T09:15:00.000Z"),
        updatedAt: ms("2025-05-10T09:15:00.000Z"),
        title: "",
        firstUserMessage: null,
        model: null,
        reasoningEffort: null,
        cwd: "",
        threadSource: null,
        agentRole: null,
        agentNickname: null,
        agentPath: null,
        parentThreadId: null,
        gitSha: "0badc0de",
        gitBranch: "main",
        gitOriginUrl: null,
        name: null,
        tokensUsed: 0,
        dynamicTools: 0,
        turns: 0
      })
    }))
})

describe("corpus: exact metadata of real rollouts", () => {
  it.effect("the legacy docs-example takes id, creation time and git from the bare header and has no title", () =>
    Effect.gen(function*() {
      const path = join(REAL, "AcidicSoil__codex-session-viewer__docs-example.jsonl")
      const header = jsonLines(path)[0]!
      expect(header).not.toHaveProperty("type")
      const folded = yield* fold(path)
      expect(summary(folded)).toMatchObject({
        id: "cf4def41-21e0-4b91-adb4-5397c1492084",
        createdAt: ms("2025-09-10T18:58:38.331Z"),
        updatedAt: ms("2025-09-10T18:58:38.331Z"),
        gitSha: "211c02cce8362cd3205f1c81f9540b7a163a1135",
        gitBranch: "main",
        gitOriginUrl: "https://github.com/AcidicSoil/codex-session-viewer.git",
        title: "",
        firstUserMessage: null,
        model: null,
        tokensUsed: 0,
        turns: 0
      })
      expect(at(header, "id")).toBe(folded.state.metadata.id)
      expect(ms(at(header, "timestamp") as string)).toBe(folded.state.metadata.createdAt)
    }))

  it.effect("sample_session-2025-11-17 reads a mode-tagged policy, has no turn_id, and takes updatedAt as the max timestamp", () =>
    Effect.gen(function*() {
      const path = join(REAL, "AcidicSoil__codex-session-view__sample_session-rollout-2025-11-17.jsonl")
      const lines = jsonLines(path)
      const contexts = lines.filter((l) => at(l, "type") === "turn_context").map((l) => at(l, "payload"))
      expect(contexts.length).toBeGreaterThan(0)
      expect(
        contexts.every((c) =>
          at(c, "sandbox_policy", "mode") === "danger-full-access" && at(c, "turn_id") === undefined
        )
      ).toBe(
        true
      )
      const stamps = lines.map((l) => ms(at(l, "timestamp") as string))
      const maxStamp = Math.max(...stamps)
      const inversions = stamps.filter((t, i) => i > 0 && t < stamps[i - 1]!).length
      expect(inversions).toBe(3)

      const folded = yield* fold(path)
      const turns = turnsOf(folded.state)
      expect(summary(folded)).toMatchObject({
        id: "019a93b9-f380-7600-98ff-940e6b99603c",
        createdAt: ms("2025-11-17T21:30:28.608Z"),
        updatedAt: maxStamp,
        source: "cli",
        threadSource: null,
        cliVersion: "0.58.0",
        model: "gpt-5.1-codex",
        reasoningEffort: "high",
        cwd: "/home/user/projects/temp/chatbot-ui",
        sandboxPolicy: "danger-full-access",
        approvalMode: "never",
        gitBranch: "main",
        tokensUsed: 1121566,
        turns: 1
      })
      expect(turns[0]?.turnId).toBeNull()
      expect(folded.state.metadata.title).toMatch(/^finish up the users work by rigging up the chatbot-ui/)

      // A prefix ending on a line whose timestamp is earlier than the line before it:
      // updatedAt is the largest timestamp seen, not the last line's.
      const dir = mkdtempSync(join(tmpdir(), "corpus-order-"))
      try {
        const raw = nonBlankLines(path)
        const cut = stamps.findIndex((t, i) => i > 0 && t < stamps[i - 1]!)
        expect(cut).toBe(27)
        const prefix = join(dir, "prefix.jsonl")
        writeFileSync(prefix, raw.slice(0, cut + 1).map((l) => `${l}\n`).join(""))
        const partial = yield* fold(prefix)
        const prefixMax = Math.max(...stamps.slice(0, cut + 1))
        expect(prefixMax).toBeGreaterThan(stamps[cut]!)
        expect(partial.state.metadata.updatedAt).toBe(prefixMax)
        expect(partial.state.metadata.updatedAt).not.toBe(stamps[cut])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.effect("kvsankar session-01 keeps thread_source user and clears the effort its turn_context lacks", () =>
    Effect.gen(function*() {
      const path = join(REAL, "kvsankar__agent-history__real_sessions-codex-session-01.jsonl")
      const contexts = jsonLines(path).filter((l) => at(l, "type") === "turn_context").map((l) => at(l, "payload"))
      expect(contexts).toHaveLength(1)
      expect(contexts[0]).not.toHaveProperty("effort")
      expect(contexts[0]).toHaveProperty("permission_profile")

      const folded = yield* fold(path)
      expect(summary(folded)).toMatchObject({
        id: "019e9625-802f-7e91-840a-cfe88d14117a",
        createdAt: ms("2026-06-05T04:58:20.593Z"),
        updatedAt: ms("2026-06-05T04:58:26.713Z"),
        source: "exec",
        threadSource: "user",
        reasoningEffort: null,
        model: "gpt-5.5",
        cwd: "/tmp/agent-history-real-agent/codex/workspace",
        // Its permission_profile wins over the sandbox_policy beside it (SPEC §11).
        sandboxPolicy: "{\"type\":\"managed\",\"file_system\":{\"type\":\"restricted\",\"entries\":" +
          "[{\"path\":{\"type\":\"special\",\"value\":{\"kind\":\"root\"}},\"access\":\"read\"}]},\"network\":\"restricted\"}",
        approvalMode: "never",
        title: "[REDACTED_PROMPT]",
        tokensUsed: 22549,
        turns: 1
      })
      expect(turnsOf(folded.state)[0]).toMatchObject({
        turnId: "019e9625-806b-7343-9798-a7ca2de29a04",
        reasoningEffort: null,
        tokensUsed: 22549
      })

      // The missing key clears an effort set before (null above could also be "never set"):
      // the same file with an earlier copy of its turn_context carrying `effort: "high"`.
      const dir = mkdtempSync(join(tmpdir(), "corpus-effort-"))
      try {
        const raw = nonBlankLines(path)
        const index = raw.findIndex((line) => at(JSON.parse(line), "type") === "turn_context")
        const withEffort = JSON.parse(raw[index]!) as { payload: object }
        withEffort.payload = { ...withEffort.payload, effort: "high" }
        const edited = join(dir, "effort.jsonl")
        writeFileSync(
          edited,
          [...raw.slice(0, index), JSON.stringify(withEffort), ...raw.slice(index)].map((l) => `${l}\n`).join("")
        )
        const refolded = yield* fold(edited)
        expect(refolded.counts.parseErrors).toBe(0)
        expect(refolded.state.metadata.reasoningEffort).toBeNull()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.effect("localpush 12-54-34 ends with the last non-null token total and one turn per distinct task_started turn_id", () =>
    Effect.gen(function*() {
      const path = join(REAL, "madshn__localpush__fixtures-codex-2026-02-23-rollout-12-54-34.jsonl")
      // Independent count over the raw lines.
      const events = jsonLines(path).filter((l) => at(l, "type") === "event_msg").map((l) => at(l, "payload"))
      const totals = events
        .filter((e) => at(e, "type") === "token_count" && at(e, "info") != null)
        .map((e) => at(e, "info", "total_token_usage", "total_tokens") as number)
      const lastTotal = totals[totals.length - 1]
      const turnIds = new Set(
        events.filter((e) => at(e, "type") === "task_started").map((e) => at(e, "turn_id") as string)
      )
      expect(lastTotal).toBe(33944484)
      expect(turnIds.size).toBe(33)

      const folded = yield* fold(path)
      const turns = turnsOf(folded.state)
      expect(folded.state.metadata.tokensUsed).toBe(lastTotal)
      expect(turns).toHaveLength(turnIds.size)
      expect(new Set(turns.map((t) => t.turnId))).toEqual(turnIds)
      expect(turns.map((t) => t.index)).toEqual(turns.map((_, i) => i))
      expect(turns[turns.length - 1]?.tokensUsed).toBe(lastTotal)
      expect(summary(folded)).toMatchObject({
        id: "019c8a59-e9dd-71f0-9ae3-4079fe9726a9",
        createdAt: ms("2026-02-23T11:54:34.334Z"),
        updatedAt: ms("2026-02-24T12:09:44.294Z"),
        source: "vscode",
        model: "gpt-5.3-codex",
        reasoningEffort: "medium",
        gitBranch: "main"
      })
    }))
})
