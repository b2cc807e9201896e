/**
 * Example tests of the fold (SPEC §3): one or more tests per row of the table, the
 * timestamp rules and the turn rules. Items are built by decoding JSON lines, so the real
 * schemas are exercised. Where a rule has a "not" side, both sides are tested.
 */
import { Either } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parseRolloutFileName } from "../../src/domain/RolloutFileName.js"
import { decodeRolloutItem, type RolloutItem } from "../../src/domain/RolloutItem.js"
import { apply, applyAll, initial } from "../../src/domain/ThreadFold.js"
import { type FileFacts, type ThreadMetadata, type ThreadState, turnsOf } from "../../src/domain/ThreadState.js"
import { CORPUS_HOME, CORPUS_REAL } from "../fixtures/corpus.js"

const item = (json: object): RolloutItem => Either.getOrThrow(decodeRolloutItem(json))

/** Decodes a raw line of text, so tests can feed JSON with whitespace the fold must compact. */
const itemOfText = (line: string): RolloutItem => item(JSON.parse(line) as object)

const ID = "019a0000-0000-7000-8000-000000000001"
const OTHER_ID = "019a0000-0000-7000-8000-000000000002"
const FILE_ID = "019a0000-0000-7000-8000-0000000000ff"
const FILE_TS = Date.UTC(2025, 0, 2, 3, 4, 5)
const DEFAULT_PROVIDER = "configured-provider"
const FACTS: FileFacts = { fileNameTimestamp: FILE_TS, defaultModelProvider: DEFAULT_PROVIDER }

/** `2025-03-01T10:00:<ss>.<mmm>Z` and its epoch ms. */
const iso = (second: number, millis = 0): string =>
  `2025-03-01T10:00:${String(second).padStart(2, "0")}.${String(millis).padStart(3, "0")}Z`
const ms = (second: number, millis = 0): number => Date.UTC(2025, 2, 1, 10, 0, second, millis)

const start = (facts: FileFacts = FACTS, fileId: string = FILE_ID): ThreadState => initial(fileId, facts)

const foldItems = (items: ReadonlyArray<RolloutItem>, facts: FileFacts = FACTS): ThreadState =>
  applyAll(start(facts), items)

const fold = (...lines: ReadonlyArray<object>): ThreadState => foldItems(lines.map(item))

// Line builders (the JSON a host writes); a `null` timestamp writes a line without one.
const meta = (payload: object = {}, timestamp: string | null = iso(0)): object => ({
  ...(timestamp === null ? {} : { timestamp }),
  type: "session_meta",
  payload: { id: ID, ...payload }
})
const turnContext = (payload: object, timestamp: string | null = iso(1)): object => ({
  ...(timestamp === null ? {} : { timestamp }),
  type: "turn_context",
  payload
})
const event = (payload: object, timestamp: string | null = iso(2)): object => ({
  ...(timestamp === null ? {} : { timestamp }),
  type: "event_msg",
  payload
})
const userMessage = (message: string, timestamp: string | null = iso(2), extra: object = {}): object =>
  event({ type: "user_message", message, ...extra }, timestamp)
const tokenCount = (total: number, timestamp: string | null = iso(2)): object =>
  event({
    type: "token_count",
    info: {
      total_token_usage: {
        input_tokens: 1,
        cached_input_tokens: 0,
        output_tokens: 1,
        reasoning_output_tokens: 0,
        total_tokens: total
      },
      last_token_usage: null,
      model_context_window: 272000
    }
  }, timestamp)

const withoutUpdatedAt = (state: ThreadState) => {
  const { updatedAt: _updatedAt, ...rest } = state.metadata
  return { metadata: rest, dynamicTools: state.dynamicTools, turns: turnsOf(state) }
}

describe("defaults", () => {
  it("a thread with no items has the defaults of SPEC §3", () => {
    const expected: ThreadMetadata = {
      id: FILE_ID,
      createdAt: FILE_TS,
      updatedAt: FILE_TS,
      source: "vscode",
      threadSource: null,
      agentNickname: null,
      agentRole: null,
      agentPath: null,
      parentThreadId: null,
      forkedFromId: null,
      modelProvider: DEFAULT_PROVIDER,
      model: null,
      reasoningEffort: null,
      cwd: "",
      cliVersion: "",
      title: "",
      name: null,
      firstUserMessage: null,
      sandboxPolicy: "read-only",
      approvalMode: "on-request",
      tokensUsed: 0,
      gitSha: null,
      gitBranch: null,
      gitOriginUrl: null,
      memoryMode: null,
      spawnStatus: "open"
    }
    const state = fold()
    expect(state.metadata).toEqual(expected)
    expect(state.dynamicTools).toEqual([])
    expect(turnsOf(state)).toEqual([])
  })

  it("without a turn context the sandbox policy is read-only and the approval mode on-request", () => {
    const state = fold(meta({ cwd: "/w", source: "cli" }), userMessage("hi"), tokenCount(10))
    expect(state.metadata.sandboxPolicy).toBe("read-only")
    expect(state.metadata.approvalMode).toBe("on-request")
  })

  it("the model provider is the configured default when no session meta names one", () => {
    expect(fold(meta({ cwd: "/w" })).metadata.modelProvider).toBe(DEFAULT_PROVIDER)
    expect(fold(meta({ model_provider: "" })).metadata.modelProvider).toBe(DEFAULT_PROVIDER)
    expect(fold(meta({ model_provider: null })).metadata.modelProvider).toBe(DEFAULT_PROVIDER)
  })

  it("a session meta with nothing but an id reads and keeps the default source, cwd and title", () => {
    const state = fold({ type: "session_meta", payload: { id: ID } })
    expect(state.metadata.id).toBe(ID)
    expect(state.metadata.source).toBe("vscode")
    expect(state.metadata.cwd).toBe("")
    expect(state.metadata.title).toBe("")
    expect(state.metadata.tokensUsed).toBe(0)
  })
})

describe("session_meta: source, agent fields, thread source", () => {
  it("a string source is stored as is", () => {
    expect(fold(meta({ source: "exec" })).metadata.source).toBe("exec")
    expect(fold(meta({ source: "cli" })).metadata.source).toBe("cli")
  })

  it("an object source is stored as its compact JSON string", () => {
    const state = foldItems([
      itemOfText(
        `{"timestamp":"${iso(0)}","type":"session_meta","payload":{"id":"${ID}", "source": { "subagent" : "review" }}}`
      )
    ])
    expect(state.metadata.source).toBe("{\"subagent\":\"review\"}")
  })

  it("a thread-spawn object source is stored as its compact JSON string with its members in order", () => {
    const source = {
      subagent: { thread_spawn: { parent_thread_id: OTHER_ID, depth: 1, agent_path: "/root/a_1" } }
    }
    expect(fold(meta({ source })).metadata.source).toBe(
      `{"subagent":{"thread_spawn":{"parent_thread_id":"${OTHER_ID}","depth":1,"agent_path":"/root/a_1"}}}`
    )
  })

  it("agent nickname, role, path and parent thread id are set from top-level fields", () => {
    const m = fold(meta({
      source: "cli",
      agent_nickname: "Robin",
      agent_role: "explorer",
      agent_path: "/root/explorer_2",
      parent_thread_id: OTHER_ID
    })).metadata
    expect([m.agentNickname, m.agentRole, m.agentPath, m.parentThreadId]).toEqual([
      "Robin",
      "explorer",
      "/root/explorer_2",
      OTHER_ID
    ])
  })

  it("agent nickname, role, path and parent thread id come from source.subagent.thread_spawn when absent at top level", () => {
    const m = fold(meta({
      source: {
        subagent: {
          thread_spawn: {
            parent_thread_id: OTHER_ID,
            depth: 2,
            agent_path: "/root/a/b",
            agent_nickname: "Quill",
            agent_role: "reviewer"
          }
        }
      }
    })).metadata
    expect([m.agentNickname, m.agentRole, m.agentPath, m.parentThreadId]).toEqual([
      "Quill",
      "reviewer",
      "/root/a/b",
      OTHER_ID
    ])
  })

  it("top-level agent fields win over the thread spawn's", () => {
    const m = fold(meta({
      source: {
        subagent: {
          thread_spawn: {
            parent_thread_id: "spawn-parent",
            depth: 1,
            agent_path: "/root/spawn",
            agent_nickname: "Spawned",
            agent_role: "spawn-role"
          }
        }
      },
      agent_nickname: "Top",
      agent_role: "top-role",
      agent_path: "/root/top",
      parent_thread_id: OTHER_ID
    })).metadata
    expect([m.agentNickname, m.agentRole, m.agentPath, m.parentThreadId]).toEqual([
      "Top",
      "top-role",
      "/root/top",
      OTHER_ID
    ])
  })

  it("agent fields are null when neither the line nor its source names them", () => {
    const m = fold(meta({ source: { subagent: "review" } })).metadata
    expect([m.agentNickname, m.agentRole, m.agentPath, m.parentThreadId]).toEqual([null, null, null, null])
  })

  it("thread_source is set when the session meta names it explicitly", () => {
    expect(fold(meta({ source: "cli", thread_source: "user" })).metadata.threadSource).toBe("user")
  })

  it("thread_source values beyond the known ones are kept as written", () => {
    expect(fold(meta({ thread_source: "brand_new_kind" })).metadata.threadSource).toBe("brand_new_kind")
  })

  it("thread_source is null when absent, never inferred from a subagent source", () => {
    const spawned = fold(meta({
      source: { subagent: { thread_spawn: { parent_thread_id: OTHER_ID, depth: 1 } } }
    }))
    expect(spawned.metadata.threadSource).toBeNull()
    expect(fold(meta({ source: { subagent: "review" } })).metadata.threadSource).toBeNull()
    expect(fold(meta({ source: "exec" })).metadata.threadSource).toBeNull()
  })

  it("a later session meta with the same id sets source and agent fields from its own line", () => {
    const m = fold(
      meta({ source: "cli", thread_source: "user", agent_nickname: "A", agent_role: "r1", agent_path: "/root/a" }),
      meta({ source: "exec", agent_nickname: "B" }, iso(5))
    ).metadata
    expect(m.source).toBe("exec")
    expect(m.agentNickname).toBe("B")
    expect(m.agentRole).toBeNull()
    expect(m.agentPath).toBeNull()
    expect(m.threadSource).toBeNull()
  })
})

describe("session_meta: model provider, cli version, cwd", () => {
  it("model_provider, cli_version and cwd are set from a session meta when present and non-empty", () => {
    const m = fold(meta({ model_provider: "azure", cli_version: "0.63.0", cwd: "/home/dev/app" })).metadata
    expect(m.modelProvider).toBe("azure")
    expect(m.cliVersion).toBe("0.63.0")
    expect(m.cwd).toBe("/home/dev/app")
  })

  it("a later session meta with non-empty values replaces model_provider, cli_version and cwd", () => {
    const m = fold(
      meta({ model_provider: "azure", cli_version: "0.63.0", cwd: "/a" }),
      meta({ model_provider: "openai", cli_version: "0.64.0", cwd: "/b" }, iso(3))
    ).metadata
    expect([m.modelProvider, m.cliVersion, m.cwd]).toEqual(["openai", "0.64.0", "/b"])
  })

  it("empty model_provider, cli_version and cwd leave the current values", () => {
    const m = fold(
      meta({ model_provider: "azure", cli_version: "0.63.0", cwd: "/a" }),
      meta({ model_provider: "", cli_version: "", cwd: "" }, iso(3))
    ).metadata
    expect([m.modelProvider, m.cliVersion, m.cwd]).toEqual(["azure", "0.63.0", "/a"])
  })

  it("absent model_provider, cli_version and cwd leave the current values", () => {
    const m = fold(
      meta({ model_provider: "azure", cli_version: "0.63.0", cwd: "/a" }),
      meta({}, iso(3))
    ).metadata
    expect([m.modelProvider, m.cliVersion, m.cwd]).toEqual(["azure", "0.63.0", "/a"])
  })
})

describe("session_meta: git", () => {
  const git = { commit_hash: "abc123", branch: "main", repository_url: "git@github.com:o/r.git" }

  it("git present sets sha, branch and origin url", () => {
    const m = fold(meta({ git })).metadata
    expect([m.gitSha, m.gitBranch, m.gitOriginUrl]).toEqual(["abc123", "main", "git@github.com:o/r.git"])
  })

  it("git present replaces all three fields, an absent member becoming null", () => {
    const m = fold(meta({ git }), meta({ git: { branch: "feature" } }, iso(3))).metadata
    expect([m.gitSha, m.gitBranch, m.gitOriginUrl]).toEqual([null, "feature", null])
  })

  it("git {} clears all three fields", () => {
    const m = fold(meta({ git }), meta({ git: {} }, iso(3))).metadata
    expect([m.gitSha, m.gitBranch, m.gitOriginUrl]).toEqual([null, null, null])
  })

  it("a session meta without git leaves the git fields unchanged", () => {
    const m = fold(meta({ git }), meta({ cwd: "/x" }, iso(3))).metadata
    expect([m.gitSha, m.gitBranch, m.gitOriginUrl]).toEqual(["abc123", "main", "git@github.com:o/r.git"])
  })
})

describe("session_meta: dynamic tools", () => {
  const schemaA = { type: "object", properties: { key: { type: "string" } }, required: ["key"] }

  it("snake_case dynamic tools are kept in file order with their description and input schema", () => {
    const state = fold(meta({
      dynamic_tools: [
        { name: "zeta", description: "last alphabetically", input_schema: schemaA },
        { name: "alpha", description: "first alphabetically", input_schema: { type: "object" } }
      ]
    }))
    expect(state.dynamicTools).toEqual([
      { name: "zeta", namespace: null, description: "last alphabetically", inputSchema: schemaA, hidden: false },
      {
        name: "alpha",
        namespace: null,
        description: "first alphabetically",
        inputSchema: { type: "object" },
        hidden: false
      }
    ])
  })

  it("camelCase dynamic tools read inputSchema and deferLoading", () => {
    const state = fold(meta({
      dynamic_tools: [
        { name: "shown", description: "d1", inputSchema: schemaA, deferLoading: false },
        { name: "deferred", description: "d2", inputSchema: { type: "object" }, deferLoading: true }
      ]
    }))
    expect(state.dynamicTools).toEqual([
      { name: "shown", namespace: null, description: "d1", inputSchema: schemaA, hidden: false },
      { name: "deferred", namespace: null, description: "d2", inputSchema: { type: "object" }, hidden: true }
    ])
  })

  it("tools grouped under a namespace are flattened in order with that namespace", () => {
    const state = fold(meta({
      dynamic_tools: [
        { name: "before", description: "", input_schema: {} },
        {
          namespace: "jira",
          tools: [
            { name: "search", description: "s", input_schema: schemaA },
            { name: "create", description: "c", input_schema: {} }
          ]
        },
        { name: "after", description: "", input_schema: {} }
      ]
    }))
    expect(state.dynamicTools.map((t) => [t.namespace, t.name])).toEqual([
      [null, "before"],
      ["jira", "search"],
      ["jira", "create"],
      [null, "after"]
    ])
    expect(state.dynamicTools[1]?.inputSchema).toEqual(schemaA)
  })

  it("a tool is hidden when defer_loading is true or expose_to_context is false", () => {
    const state = fold(meta({
      dynamic_tools: [
        { name: "defer_true", description: "", input_schema: {}, defer_loading: true },
        { name: "expose_false", description: "", input_schema: {}, expose_to_context: false },
        { name: "exposeToContext_false", description: "", inputSchema: {}, exposeToContext: false },
        { name: "deferLoading_true", description: "", inputSchema: {}, deferLoading: true }
      ]
    }))
    expect(state.dynamicTools.map((t) => [t.name, t.hidden])).toEqual([
      ["defer_true", true],
      ["expose_false", true],
      ["exposeToContext_false", true],
      ["deferLoading_true", true]
    ])
  })

  it("a tool is not hidden when defer_loading is false, expose_to_context is true, or neither is given", () => {
    const state = fold(meta({
      dynamic_tools: [
        { name: "defer_false", description: "", input_schema: {}, defer_loading: false },
        { name: "expose_true", description: "", input_schema: {}, expose_to_context: true },
        { name: "plain", description: "", input_schema: {} }
      ]
    }))
    expect(state.dynamicTools.map((t) => [t.name, t.hidden])).toEqual([
      ["defer_false", false],
      ["expose_true", false],
      ["plain", false]
    ])
  })

  it("a later session meta's dynamic tools replace the whole list", () => {
    const state = fold(
      meta({
        dynamic_tools: [{ name: "a", description: "", input_schema: {} }, {
          name: "b",
          description: "",
          input_schema: {}
        }]
      }),
      meta({ dynamic_tools: [{ name: "c", description: "", input_schema: {} }] }, iso(3))
    )
    expect(state.dynamicTools.map((t) => t.name)).toEqual(["c"])
  })

  it("an empty dynamic_tools list clears the tools", () => {
    const state = fold(
      meta({ dynamic_tools: [{ name: "a", description: "", input_schema: {} }] }),
      meta({ dynamic_tools: [] }, iso(3))
    )
    expect(state.dynamicTools).toEqual([])
  })

  it("a session meta without dynamic_tools keeps the current tools", () => {
    const state = fold(
      meta({ dynamic_tools: [{ name: "a", description: "", input_schema: {} }] }),
      meta({ cwd: "/x" }, iso(3))
    )
    expect(state.dynamicTools.map((t) => t.name)).toEqual(["a"])
  })
})

describe("session_meta: thread id and forks", () => {
  it("the first session meta fixes the thread id even when the file name's id differs", () => {
    expect(fold(meta({ cwd: "/w" })).metadata.id).toBe(ID)
  })

  it("the file name's id stands when there is no session meta", () => {
    expect(fold(userMessage("hi")).metadata.id).toBe(FILE_ID)
  })

  it("a session meta whose id differs from the first session meta's id is ignored entirely", () => {
    const own = fold(
      meta({
        source: "cli",
        model_provider: "openai",
        dynamic_tools: [{ name: "own", description: "", input_schema: {} }]
      }, iso(10)),
      userMessage("mine", iso(11))
    )
    const forked = fold(
      meta({
        source: "cli",
        model_provider: "openai",
        dynamic_tools: [{ name: "own", description: "", input_schema: {} }]
      }, iso(10)),
      userMessage("mine", iso(11)),
      // The embedded parent meta: older line, every field different.
      {
        timestamp: iso(1),
        type: "session_meta",
        payload: {
          id: OTHER_ID,
          timestamp: iso(0),
          cwd: "/parent",
          cli_version: "9.9.9",
          model_provider: "parent-provider",
          source: "exec",
          thread_source: "user",
          agent_nickname: "Parent",
          agent_role: "parent-role",
          agent_path: "/root",
          parent_thread_id: "someone",
          git: { commit_hash: "p", branch: "p", repository_url: "p" },
          dynamic_tools: [{ name: "parent_tool", description: "", input_schema: {} }]
        }
      }
    )
    expect(forked.metadata).toEqual(own.metadata)
    expect(forked.dynamicTools).toEqual(own.dynamicTools)
    expect(turnsOf(forked)).toEqual(turnsOf(own))
    expect(forked.metadata.cwd).toBe("")
    expect(forked.metadata.id).toBe(ID)
  })

  it("a session meta carrying the file name's id is ignored when the first session meta named another id", () => {
    const state = fold(
      meta({ source: "cli" }),
      { timestamp: iso(1), type: "session_meta", payload: { id: FILE_ID, source: "exec", cwd: "/other" } }
    )
    expect(state.metadata.id).toBe(ID)
    expect(state.metadata.source).toBe("cli")
    expect(state.metadata.cwd).toBe("")
  })
})

describe("turn_context", () => {
  it("turn context sets the cwd while the cwd is still empty", () => {
    expect(fold(meta({}), turnContext({ cwd: "/from/turn", model: "m" })).metadata.cwd).toBe("/from/turn")
  })

  it("turn context does not override a cwd set by session meta", () => {
    expect(fold(meta({ cwd: "/from/meta" }), turnContext({ cwd: "/from/turn", model: "m" })).metadata.cwd).toBe(
      "/from/meta"
    )
  })

  it("a second turn context does not override the cwd set by the first", () => {
    const state = fold(turnContext({ cwd: "/first", model: "m" }), turnContext({ cwd: "/second", model: "m" }))
    expect(state.metadata.cwd).toBe("/first")
  })

  it("the last turn context's model and reasoning effort win", () => {
    const m = fold(
      turnContext({ cwd: "/w", model: "gpt-5", effort: "low" }),
      turnContext({ cwd: "/w", model: "gpt-5.1-codex", effort: "high" })
    ).metadata
    expect([m.model, m.reasoningEffort]).toEqual(["gpt-5.1-codex", "high"])
  })

  it("a turn context without effort clears the reasoning effort to null", () => {
    const m = fold(
      turnContext({ cwd: "/w", model: "gpt-5", effort: "medium" }),
      turnContext({ cwd: "/w", model: "gpt-5" })
    ).metadata
    expect(m.reasoningEffort).toBeNull()
    expect(m.model).toBe("gpt-5")
  })

  it("the last turn context's sandbox policy and approval mode win over the first", () => {
    const first = fold(
      turnContext({ approval_policy: "never", sandbox_policy: { type: "danger-full-access" }, model: "m" })
    )
    expect([first.metadata.sandboxPolicy, first.metadata.approvalMode]).toEqual(["danger-full-access", "never"])
    const m = fold(
      turnContext({ approval_policy: "never", sandbox_policy: { type: "danger-full-access" }, model: "m" }),
      turnContext({ approval_policy: "untrusted", sandbox_policy: { type: "read-only" }, model: "m" })
    ).metadata
    expect([m.sandboxPolicy, m.approvalMode]).toEqual(["read-only", "untrusted"])
  })

  it("a tag-only sandbox policy object is stored as its tag string, whether tagged by type or mode", () => {
    expect(fold(turnContext({ sandbox_policy: { type: "read-only" } })).metadata.sandboxPolicy).toBe("read-only")
    expect(fold(turnContext({ sandbox_policy: { mode: "danger-full-access" } })).metadata.sandboxPolicy).toBe(
      "danger-full-access"
    )
  })

  it("a sandbox policy with more fields than its tag is stored as its compact JSON", () => {
    const state = foldItems([
      itemOfText(
        `{"timestamp":"${
          iso(1)
        }","type":"turn_context","payload":{"model":"m","sandbox_policy": { "type": "workspace-write", "writable_roots": [ "/tmp" ], "network_access": false }}}`
      )
    ])
    expect(state.metadata.sandboxPolicy).toBe(
      "{\"type\":\"workspace-write\",\"writable_roots\":[\"/tmp\"],\"network_access\":false}"
    )
  })

  it("permission_profile is stored as its compact JSON when sandbox_policy is absent", () => {
    expect(fold(turnContext({ permission_profile: { type: "disabled" }, model: "m" })).metadata.sandboxPolicy)
      .toBe("{\"type\":\"disabled\"}")
    expect(
      fold(turnContext({ permission_profile: { type: "workspace-write", network_access: true }, model: "m" })).metadata
        .sandboxPolicy
    ).toBe("{\"type\":\"workspace-write\",\"network_access\":true}")
  })

  it("permission_profile wins over sandbox_policy when both are present (SPEC §11)", () => {
    const state = fold(turnContext({
      sandbox_policy: { type: "danger-full-access" },
      permission_profile: { type: "managed", file_system: { type: "restricted", entries: [] }, network: "restricted" },
      model: "m"
    }))
    expect(state.metadata.sandboxPolicy).toBe(
      "{\"type\":\"managed\",\"file_system\":{\"type\":\"restricted\",\"entries\":[]},\"network\":\"restricted\"}"
    )
  })

  it("sandbox_policy is used when permission_profile is null", () => {
    const state = fold(turnContext({ sandbox_policy: { type: "read-only" }, permission_profile: null, model: "m" }))
    expect(state.metadata.sandboxPolicy).toBe("read-only")
  })

  it("a turn context without policies keeps the current sandbox policy and approval mode", () => {
    const m = fold(
      turnContext({ approval_policy: "never", sandbox_policy: { type: "danger-full-access" }, model: "m" }),
      turnContext({ model: "m" })
    ).metadata
    expect([m.sandboxPolicy, m.approvalMode]).toEqual(["danger-full-access", "never"])
  })
})

describe("thread_settings_applied (SPEC §11)", () => {
  const settings = (thread_settings: object | null, extra: object = {}, timestamp = iso(3)): object =>
    event({ type: "thread_settings_applied", thread_settings, ...extra }, timestamp)

  it("updates model, reasoning effort and approval mode, last wins over the turn context before it", () => {
    const m = fold(
      meta(),
      turnContext({ model: "old", effort: "low", approval_policy: "on-request" }),
      settings({ model: "new", reasoning_effort: "high", approval_policy: "never" })
    ).metadata
    expect([m.model, m.reasoningEffort, m.approvalMode]).toEqual(["new", "high", "never"])
  })

  it("a later turn context wins over earlier settings", () => {
    const m = fold(
      meta(),
      settings({ model: "new", reasoning_effort: "high", approval_policy: "never" }),
      turnContext({ model: "later", effort: "low", approval_policy: "untrusted" }, iso(4))
    ).metadata
    expect([m.model, m.reasoningEffort, m.approvalMode]).toEqual(["later", "low", "untrusted"])
  })

  it("settings without a model or approval keep them; without an effort clear it, as a turn context does", () => {
    const m = fold(
      meta(),
      turnContext({ model: "kept", effort: "low", approval_policy: "never" }),
      settings({ personality: "default" })
    ).metadata
    expect([m.model, m.reasoningEffort, m.approvalMode]).toEqual(["kept", null, "never"])
  })

  it("settings do not change the sandbox policy, cwd or model provider", () => {
    const m = fold(
      meta({ cwd: "/w", model_provider: "p" }),
      turnContext({ model: "m", sandbox_policy: { type: "read-only" } }),
      settings({ model: "n", cwd: "/elsewhere", model_provider_id: "q", permission_profile: { type: "disabled" } })
    ).metadata
    expect([m.sandboxPolicy, m.cwd, m.modelProvider, m.model]).toEqual(["read-only", "/w", "p", "n"])
  })

  it("settings naming another thread (a fork's copy of its parent's) are ignored; naming this one apply", () => {
    const base = [meta(), turnContext({ model: "mine", effort: "low" })]
    expect(fold(...base, settings({ model: "parent" }, { thread_id: OTHER_ID })).metadata.model).toBe("mine")
    expect(fold(...base, settings({ model: "own" }, { thread_id: ID })).metadata.model).toBe("own")
  })

  it("settings applied inside an open turn leave that turn's model and effort as its turn context set them", () => {
    const state = fold(
      meta(),
      userMessage("go", iso(1)),
      turnContext({ model: "turn-model", effort: "low" }, iso(2)),
      settings({ model: "next", reasoning_effort: "high" })
    )
    expect(turnsOf(state).map((t) => [t.model, t.reasoningEffort])).toEqual([["turn-model", "low"]])
    expect([state.metadata.model, state.metadata.reasoningEffort]).toEqual(["next", "high"])
  })

  it("settings with a null thread_settings change nothing; a model that is not a string is a parse error", () => {
    const before = fold(meta(), turnContext({ model: "m", effort: "low" }))
    expect(withoutUpdatedAt(apply(before, item(settings(null))))).toEqual(withoutUpdatedAt(before))
    const decoded = decodeRolloutItem(settings({ model: 5 }))
    expect(Either.isLeft(decoded) && decoded.left.reason).toMatch(/thread_settings\.model/)
  })

  it("the real line of a 0.149 host (corpus/real) sets model, effort and approval after an older turn context", () => {
    const lines = readFileSync(join(CORPUS_REAL, "jazzyalex__agent-sessions__stage0-codex-small.jsonl"), "utf8")
      .split("\n")
    const settingsLine = lines[17]!
    expect(settingsLine).toContain("\"thread_settings_applied\"")
    const state = applyAll(start(FACTS, "019fc8be-3658-7ca3-9e29-000000000000"), [
      itemOfText(lines[0]!),
      item(turnContext({ model: "gpt-5.5", effort: "low", approval_policy: "on-request" })),
      itemOfText(settingsLine)
    ])
    const m = state.metadata
    expect([m.model, m.reasoningEffort, m.approvalMode]).toEqual(["gpt-5.6-luna", "medium", "never"])
  })
})

describe("cwd normalisation (SPEC §11)", () => {
  it("a session meta's cwd is stored without a trailing /. or /", () => {
    expect(fold(meta({ cwd: "/home/u/." })).metadata.cwd).toBe("/home/u")
    expect(fold(meta({ cwd: "/home/u/" })).metadata.cwd).toBe("/home/u")
  })

  it("a turn context's cwd is normalised for the thread and for its turn", () => {
    const state = fold(meta(), userMessage("go", iso(1)), turnContext({ cwd: "/a/b/../c/./", model: "m" }, iso(2)))
    expect(state.metadata.cwd).toBe("/a/c")
    expect(turnsOf(state).map((t) => t.cwd)).toEqual(["/a/c"])
  })
})

describe("token_count", () => {
  it("tokens used is total_token_usage.total_tokens of the token count", () => {
    expect(fold(tokenCount(1234)).metadata.tokensUsed).toBe(1234)
  })

  it("the last token count with info wins, even when it is lower", () => {
    expect(fold(tokenCount(500), tokenCount(900), tokenCount(700)).metadata.tokensUsed).toBe(700)
  })

  it("a token count with info null leaves tokens used unchanged", () => {
    expect(fold(tokenCount(500), event({ type: "token_count", info: null })).metadata.tokensUsed).toBe(500)
    expect(fold(event({ type: "token_count", info: null })).metadata.tokensUsed).toBe(0)
  })

  it("a negative total is stored as 0", () => {
    expect(fold(tokenCount(500), tokenCount(-42)).metadata.tokensUsed).toBe(0)
  })
})

describe("user_message: first user message and title", () => {
  it("the first non-empty message is the first user message and title, and later messages do not replace them", () => {
    const m = fold(userMessage("fix the bug"), userMessage("also add tests")).metadata
    expect(m.firstUserMessage).toBe("fix the bug")
    expect(m.title).toBe("fix the bug")
  })

  it("a message is trimmed", () => {
    const m = fold(userMessage("  \n fix the bug \t\n")).metadata
    expect(m.firstUserMessage).toBe("fix the bug")
    expect(m.title).toBe("fix the bug")
  })

  it("only the text after the marker '## My request for Codex:' is kept, trimmed", () => {
    const m = fold(userMessage("# Context from my IDE\nfile: a.ts\n\n## My request for Codex:\n  rename foo to bar \n"))
      .metadata
    expect(m.firstUserMessage).toBe("rename foo to bar")
    expect(m.title).toBe("rename foo to bar")
  })

  it("an image-only message gives [Image] as first user message but does not set the title", () => {
    const m = fold(userMessage("", undefined, { images: ["data:image/png;base64,AAAA"] })).metadata
    expect(m.firstUserMessage).toBe("[Image]")
    expect(m.title).toBe("")
  })

  it("a message with only local images also gives [Image]", () => {
    const m = fold(userMessage("   ", undefined, { local_images: ["/tmp/shot.png"] })).metadata
    expect(m.firstUserMessage).toBe("[Image]")
    expect(m.title).toBe("")
  })

  it("after an image-only message the first text message sets the title but not the first user message", () => {
    const m = fold(
      userMessage("", iso(2), { images: ["data:image/png;base64,AAAA"] }),
      userMessage("what is in this picture?", iso(3))
    ).metadata
    expect(m.firstUserMessage).toBe("[Image]")
    expect(m.title).toBe("what is in this picture?")
  })

  it("a message with text and images previews as its text", () => {
    const m = fold(userMessage("look at this", undefined, { images: ["data:image/png;base64,AAAA"] })).metadata
    expect(m.firstUserMessage).toBe("look at this")
    expect(m.title).toBe("look at this")
  })

  it("a blank message sets neither first user message nor title, and the next non-empty one does", () => {
    const blank = fold(userMessage("  \n "))
    expect(blank.metadata.firstUserMessage).toBeNull()
    expect(blank.metadata.title).toBe("")
    const markerOnly = fold(userMessage("## My request for Codex:\n   "))
    expect(markerOnly.metadata.firstUserMessage).toBeNull()
    expect(markerOnly.metadata.title).toBe("")
    const then = fold(userMessage(" "), userMessage("real request"))
    expect(then.metadata.firstUserMessage).toBe("real request")
    expect(then.metadata.title).toBe("real request")
  })
})

describe("thread_name_updated", () => {
  it("thread_name_updated sets the name, last wins, and does not touch the title", () => {
    const m = fold(
      meta({}),
      userMessage("original request", iso(2)),
      event({ type: "thread_name_updated", thread_id: ID, thread_name: "First name" }, iso(3)),
      event({ type: "thread_name_updated", thread_id: ID, thread_name: "Second name" }, iso(4))
    ).metadata
    expect(m.name).toBe("Second name")
    expect(m.title).toBe("original request")
  })

  it("thread_name_updated does not set the title even when the title is empty", () => {
    const m = fold(meta({}), event({ type: "thread_name_updated", thread_id: ID, thread_name: "Named" })).metadata
    expect(m.name).toBe("Named")
    expect(m.title).toBe("")
    expect(m.firstUserMessage).toBeNull()
  })

  it("thread_name_updated with a null name clears it; an absent or blank name changes nothing", () => {
    const named = [meta({}), event({ type: "thread_name_updated", thread_id: ID, thread_name: "Named" }, iso(3))]
    expect(fold(...named, event({ type: "thread_name_updated", thread_id: ID }, iso(4))).metadata.name).toBe("Named")
    expect(
      fold(...named, event({ type: "thread_name_updated", thread_id: ID, thread_name: "  " }, iso(4))).metadata.name
    )
      .toBe("Named")
    expect(
      fold(...named, event({ type: "thread_name_updated", thread_id: ID, thread_name: null }, iso(4))).metadata.name
    )
      .toBeNull()
    const renamed = fold(
      ...named,
      event({ type: "thread_name_updated", thread_id: ID, thread_name: null }, iso(4)),
      event({ type: "thread_name_updated", thread_id: ID, thread_name: "Again" }, iso(5))
    )
    expect(renamed.metadata.name).toBe("Again")
  })

  it("thread_name_updated is ignored when its thread_id names another thread", () => {
    const m = fold(
      meta({}),
      event({ type: "thread_name_updated", thread_id: ID, thread_name: "Mine" }, iso(3)),
      event({ type: "thread_name_updated", thread_id: OTHER_ID, thread_name: "Parent's" }, iso(4))
    ).metadata
    expect(m.name).toBe("Mine")
  })
})

describe("items without metadata effect", () => {
  const base: ReadonlyArray<object> = [
    meta({
      source: "cli",
      cwd: "/w",
      model_provider: "openai",
      git: { commit_hash: "a", branch: "b", repository_url: "c" }
    }),
    turnContext({
      cwd: "/w",
      model: "gpt-5",
      effort: "low",
      approval_policy: "never",
      sandbox_policy: { type: "read-only" }
    }),
    userMessage("do it", iso(2)),
    tokenCount(100, iso(3))
  ]
  const cases: ReadonlyArray<readonly [string, object]> = [
    ["a response_item message", {
      timestamp: iso(30),
      type: "response_item",
      payload: {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "## My request for Codex: other" }]
      }
    }],
    ["a response_item function_call", {
      timestamp: iso(30),
      type: "response_item",
      payload: { type: "function_call", name: "shell", arguments: "{\"cmd\":\"ls\"}", call_id: "c1" }
    }],
    ["a compacted line", {
      timestamp: iso(30),
      type: "compacted",
      payload: { message: "summary", replacement_history: [{ type: "message", role: "user", content: [] }] }
    }],
    ["an unknown top-level type", { timestamp: iso(30), type: "world_state", payload: { cwd: "/elsewhere" } }],
    ["an unknown event_msg type", event({ type: "brand_new_event", message: "x", thread_name: "n" }, iso(30))],
    ["an agent_message event", event({ type: "agent_message", message: "done" }, iso(30))]
  ]
  for (const [name, line] of cases) {
    it(`${name} has no effect on metadata, tools or turns other than updatedAt`, () => {
      const before = fold(...base)
      const after = fold(...base, line)
      expect(withoutUpdatedAt(after)).toEqual(withoutUpdatedAt(before))
      expect(before.metadata.updatedAt).toBe(ms(3))
      expect(after.metadata.updatedAt).toBe(ms(30))
    })
  }

  it("legacy state lines and bare legacy response items have no effect at all", () => {
    const before = fold(...base)
    const after = fold(
      ...base,
      { record_type: "state" },
      { type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] }
    )
    expect(after.metadata).toEqual(before.metadata)
    expect(turnsOf(after)).toEqual(turnsOf(before))
  })
})

describe("timestamps", () => {
  it("createdAt is the first session meta payload's timestamp, in ms", () => {
    const state = fold(meta({ timestamp: "2025-02-03T04:05:06.789Z" }, "2025-02-03T04:05:07.000Z"))
    expect(state.metadata.createdAt).toBe(Date.UTC(2025, 1, 3, 4, 5, 6, 789))
  })

  it("createdAt falls back to the session meta line's timestamp when the payload has none", () => {
    const state = fold(meta({}, "2025-02-03T04:05:07.321Z"))
    expect(state.metadata.createdAt).toBe(Date.UTC(2025, 1, 3, 4, 5, 7, 321))
  })

  it("createdAt falls back to the file name's timestamp when the session meta has no timestamp at all", () => {
    const state = fold(meta({}, null))
    expect(state.metadata.createdAt).toBe(FILE_TS)
  })

  it("createdAt is the file name's timestamp when there is no session meta, even with timestamped lines", () => {
    const state = fold(userMessage("hi", iso(5)))
    expect(state.metadata.createdAt).toBe(FILE_TS)
    expect(state.metadata.updatedAt).toBe(ms(5))
  })

  it("a later session meta does not move createdAt", () => {
    const state = fold(meta({ timestamp: iso(1) }, iso(1)), meta({ timestamp: iso(9) }, iso(9)))
    expect(state.metadata.createdAt).toBe(ms(1))
    expect(state.metadata.updatedAt).toBe(ms(9))
  })

  it("updatedAt is the latest line timestamp seen", () => {
    const state = fold(meta({ timestamp: iso(0) }, iso(0)), userMessage("a", iso(4)), tokenCount(5, iso(7, 250)))
    expect(state.metadata.updatedAt).toBe(ms(7, 250))
  })

  it("updatedAt is the maximum line timestamp, not the last, when lines are out of order", () => {
    const state = fold(
      meta({ timestamp: iso(0) }, iso(0)),
      userMessage("a", iso(20)),
      tokenCount(5, iso(10)),
      event({ type: "agent_message", message: "x" }, iso(15))
    )
    expect(state.metadata.updatedAt).toBe(ms(20))
  })

  it("updatedAt equals createdAt when no line has a timestamp", () => {
    const state = fold(meta({ timestamp: iso(3, 500) }, null), userMessage("hi", null))
    expect(state.metadata.createdAt).toBe(ms(3, 500))
    expect(state.metadata.updatedAt).toBe(ms(3, 500))
  })

  it("lines without a timestamp leave updatedAt where it was", () => {
    const state = fold(meta({ timestamp: iso(0) }, iso(6)), userMessage("hi", null), tokenCount(3, null))
    expect(state.metadata.updatedAt).toBe(ms(6))
  })

  it("a session meta's earlier payload timestamp sets createdAt without lowering updatedAt", () => {
    const state = fold(
      userMessage("early line", iso(8)),
      meta({ timestamp: iso(1) }, null)
    )
    expect(state.metadata.createdAt).toBe(ms(1))
    expect(state.metadata.updatedAt).toBe(ms(8))
  })

  it("timestamps keep their milliseconds", () => {
    const state = fold(meta({ timestamp: iso(1, 1) }, iso(1, 2)), userMessage("x", iso(1, 999)))
    expect(state.metadata.createdAt).toBe(ms(1, 1))
    expect(state.metadata.updatedAt).toBe(ms(1, 999))
    expect(turnsOf(state)[0]?.startedAt).toBe(ms(1, 999))
  })
})

describe("legacy format", () => {
  it("the legacy header line sets the id, createdAt and git", () => {
    const state = fold(
      {
        id: ID,
        timestamp: "2024-12-30T09:08:07.654Z",
        instructions: null,
        git: { commit_hash: "deadbeef", branch: "legacy", repository_url: "https://example.com/r.git" }
      },
      { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
      { record_type: "state" }
    )
    const m = state.metadata
    expect(m.id).toBe(ID)
    expect(m.createdAt).toBe(Date.UTC(2024, 11, 30, 9, 8, 7, 654))
    expect(m.updatedAt).toBe(Date.UTC(2024, 11, 30, 9, 8, 7, 654))
    expect([m.gitSha, m.gitBranch, m.gitOriginUrl]).toEqual(["deadbeef", "legacy", "https://example.com/r.git"])
  })

  it("a legacy header without git leaves the git fields null", () => {
    const m = fold({ id: ID, timestamp: "2024-12-30T09:08:07.000Z" }).metadata
    expect([m.gitSha, m.gitBranch, m.gitOriginUrl]).toEqual([null, null, null])
    expect(m.id).toBe(ID)
  })
})

describe("turns", () => {
  it("without task_started each user message starts a turn, indexed from 0", () => {
    const state = fold(
      meta({ cwd: "/w" }),
      userMessage("one", iso(10)),
      userMessage("two", iso(20)),
      userMessage("three", iso(30))
    )
    const turns = turnsOf(state)
    expect(turns.map((t) => t.index)).toEqual([0, 1, 2])
    expect(turns.map((t) => t.userMessage)).toEqual(["one", "two", "three"])
    expect(turns.map((t) => t.startedAt)).toEqual([ms(10), ms(20), ms(30)])
    expect(turns.map((t) => t.turnId)).toEqual([null, null, null])
    expect(turns.map((t) => t.cwd)).toEqual(["/w", "/w", "/w"])
  })

  it("a turn's user message preview follows the first-user-message rules", () => {
    const turns = turnsOf(fold(
      userMessage("## My request for Codex:\n  do x  ", iso(1)),
      userMessage("", iso(2), { images: ["data:image/png;base64,AAAA"] })
    ))
    expect(turns.map((t) => t.userMessage)).toEqual(["do x", "[Image]"])
  })

  it("task_started starts a turn keyed by its turn_id and user messages inside the open task do not start new turns", () => {
    const state = fold(
      meta({}),
      event({ type: "task_started", turn_id: "turn-1" }, iso(10)),
      userMessage("the request", iso(11)),
      userMessage("steering the same turn", iso(12))
    )
    const turns = turnsOf(state)
    expect(turns).toHaveLength(1)
    expect(turns[0]?.index).toBe(0)
    expect(turns[0]?.turnId).toBe("turn-1")
    expect(turns[0]?.startedAt).toBe(ms(10))
    expect(turns[0]?.userMessage).toBe("the request")
  })

  it("turn_started starts a turn keyed by its turn_id", () => {
    const turns = turnsOf(fold(event({ type: "turn_started", turn_id: "abc" }, iso(4)), userMessage("go", iso(5))))
    expect(turns.map((t) => [t.index, t.turnId, t.startedAt, t.userMessage])).toEqual([[0, "abc", ms(4), "go"]])
  })

  it("task_complete closes the turn so the next user message starts a new one", () => {
    const turns = turnsOf(fold(
      event({ type: "task_started", turn_id: "t1" }, iso(1)),
      userMessage("first", iso(2)),
      event({ type: "task_complete", turn_id: "t1" }, iso(3)),
      userMessage("second", iso(4))
    ))
    expect(turns.map((t) => [t.index, t.turnId, t.userMessage, t.startedAt])).toEqual([
      [0, "t1", "first", ms(1)],
      [1, null, "second", ms(4)]
    ])
  })

  it("turn_aborted closes the turn so the next user message starts a new one", () => {
    const turns = turnsOf(fold(
      event({ type: "task_started", turn_id: "t1" }, iso(1)),
      userMessage("first", iso(2)),
      event({ type: "turn_aborted", turn_id: "t1", reason: "interrupted" }, iso(3)),
      userMessage("second", iso(4))
    ))
    expect(turns.map((t) => [t.index, t.turnId, t.userMessage])).toEqual([
      [0, "t1", "first"],
      [1, null, "second"]
    ])
  })

  it("consecutive tasks give one turn each, keyed by their turn ids", () => {
    const turns = turnsOf(fold(
      event({ type: "task_started", turn_id: "t1" }, iso(1)),
      userMessage("first", iso(2)),
      event({ type: "task_complete", turn_id: "t1" }, iso(3)),
      event({ type: "task_started", turn_id: "t2" }, iso(4)),
      userMessage("second", iso(5)),
      userMessage("steer", iso(6)),
      event({ type: "task_complete", turn_id: "t2" }, iso(7))
    ))
    expect(turns.map((t) => [t.index, t.turnId, t.userMessage])).toEqual([
      [0, "t1", "first"],
      [1, "t2", "second"]
    ])
  })

  it("a turn's model and effort come from the last turn context within the turn", () => {
    const turns = turnsOf(fold(
      turnContext({ model: "before", effort: "low" }, iso(0)),
      event({ type: "task_started", turn_id: "t1" }, iso(1)),
      turnContext({ turn_id: "t1", model: "gpt-a", effort: "medium" }, iso(2)),
      userMessage("go", iso(3)),
      turnContext({ turn_id: "t1", model: "gpt-b", effort: "high" }, iso(4)),
      event({ type: "task_complete", turn_id: "t1" }, iso(5))
    ))
    expect(turns.map((t) => [t.model, t.reasoningEffort])).toEqual([["gpt-b", "high"]])
  })

  it("a turn context repeating the model and effort but naming another cwd moves the open turn's cwd", () => {
    const turns = turnsOf(fold(
      turnContext({ cwd: "/w/a", model: "gpt-a", effort: "high" }, iso(0)),
      event({ type: "task_started", turn_id: "t1" }, iso(1)),
      turnContext({ turn_id: "t1", cwd: "/w/a", model: "gpt-a", effort: "high" }, iso(2)),
      turnContext({ turn_id: "t1", cwd: "/w/b", model: "gpt-a", effort: "high" }, iso(3))
    ))
    expect(turns.map((t) => [t.cwd, t.model, t.reasoningEffort])).toEqual([["/w/b", "gpt-a", "high"]])
  })

  it("a turn context within a user-message turn without effort clears that turn's effort", () => {
    const turns = turnsOf(fold(
      turnContext({ model: "gpt-a", effort: "high" }, iso(0)),
      userMessage("go", iso(1)),
      turnContext({ model: "gpt-b" }, iso(2))
    ))
    expect(turns.map((t) => [t.model, t.reasoningEffort])).toEqual([["gpt-b", null]])
  })

  it("a turn without its own turn context takes the thread's current model and effort", () => {
    const turns = turnsOf(fold(
      turnContext({ model: "gpt-current", effort: "xhigh" }, iso(0)),
      userMessage("first", iso(1)),
      userMessage("second", iso(2))
    ))
    expect(turns.map((t) => [t.model, t.reasoningEffort])).toEqual([
      ["gpt-current", "xhigh"],
      ["gpt-current", "xhigh"]
    ])
  })

  it("a turn context after a turn has closed does not change that turn", () => {
    const turns = turnsOf(fold(
      event({ type: "task_started", turn_id: "t1" }, iso(1)),
      turnContext({ model: "gpt-a", effort: "low" }, iso(2)),
      event({ type: "task_complete", turn_id: "t1" }, iso(3)),
      turnContext({ model: "gpt-z", effort: "high" }, iso(4))
    ))
    expect(turns.map((t) => [t.model, t.reasoningEffort])).toEqual([["gpt-a", "low"]])
  })

  it("a turn's tokens used are the thread's tokens at the turn's end", () => {
    const byMessage = turnsOf(fold(
      userMessage("one", iso(1)),
      tokenCount(100, iso(2)),
      tokenCount(150, iso(3)),
      userMessage("two", iso(4)),
      tokenCount(400, iso(5))
    ))
    expect(byMessage.map((t) => t.tokensUsed)).toEqual([150, 400])
    const byTask = fold(
      event({ type: "task_started", turn_id: "t1" }, iso(1)),
      tokenCount(100, iso(2)),
      event({ type: "task_complete", turn_id: "t1" }, iso(3)),
      event({ type: "task_started", turn_id: "t2" }, iso(4)),
      tokenCount(250, iso(5)),
      event({ type: "task_complete", turn_id: "t2" }, iso(6))
    )
    expect(turnsOf(byTask).map((t) => t.tokensUsed)).toEqual([100, 250])
    expect(byTask.metadata.tokensUsed).toBe(250)
  })

  it("a turn with no token count of its own carries the thread's tokens when it started", () => {
    const turns = turnsOf(fold(tokenCount(77, iso(1)), userMessage("a", iso(2))))
    expect(turns.map((t) => t.tokensUsed)).toEqual([77])
  })

  it("turn context lines alone never start turns", () => {
    expect(turnsOf(fold(
      meta({}),
      turnContext({ turn_id: "t1", model: "m" }, iso(1)),
      turnContext({ turn_id: "t1", model: "m" }, iso(2)),
      turnContext({ turn_id: "t2", model: "m" }, iso(3))
    ))).toEqual([])
    expect(turnsOf(fold(
      userMessage("one", iso(1)),
      turnContext({ model: "m" }, iso(2)),
      turnContext({ model: "m" }, iso(3)),
      turnContext({ model: "m" }, iso(4))
    ))).toHaveLength(1)
  })

  it("turn indexes are 0-based and consecutive across message turns and task turns", () => {
    const turns = turnsOf(fold(
      userMessage("a", iso(1)),
      userMessage("b", iso(2)),
      event({ type: "task_started", turn_id: "t3" }, iso(3)),
      userMessage("c", iso(4)),
      event({ type: "task_complete", turn_id: "t3" }, iso(5)),
      event({ type: "turn_started", turn_id: "t4" }, iso(6)),
      event({ type: "turn_aborted", turn_id: "t4" }, iso(7)),
      userMessage("d", iso(8))
    ))
    expect(turns.map((t) => t.index)).toEqual([0, 1, 2, 3, 4])
    expect(turns.map((t) => t.turnId)).toEqual([null, null, "t3", "t4", null])
    expect(turns.map((t) => t.userMessage)).toEqual(["a", "b", "c", null, "d"])
  })
})

describe("the sample corpus", () => {
  const dir = join(CORPUS_HOME, "archived_sessions")
  const names = readdirSync(dir).filter((name) => name.endsWith(".jsonl"))
  const fileName = "rollout-2025-11-21T08-00-00-019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff.jsonl"

  it("folding the archived sample rollout line by line gives the exact expected metadata, tools and turns", () => {
    expect(names).toContain(fileName)
    const parsed = parseRolloutFileName(fileName)
    if (parsed === undefined) throw new Error("sample file name does not parse")
    const facts: FileFacts = { fileNameTimestamp: parsed.nameTimestamp, defaultModelProvider: DEFAULT_PROVIDER }
    const items = readFileSync(join(dir, fileName), "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => item(JSON.parse(line) as object))
    expect(items).toHaveLength(6)
    const state = items.reduce(apply, initial(parsed.threadId, facts))
    expect(applyAll(initial(parsed.threadId, facts), items)).toEqual(state)

    const parent = "019a9f10-1111-7222-8333-444455556666"
    const expected: ThreadMetadata = {
      id: "019a9f10-aaaa-7bbb-8ccc-ddddeeeeffff",
      createdAt: Date.UTC(2025, 10, 21, 8, 0, 0, 0),
      updatedAt: Date.UTC(2025, 10, 21, 8, 0, 4, 0),
      source:
        `{"subagent":{"thread_spawn":{"parent_thread_id":"${parent}","depth":1,"agent_role":"reviewer","agent_nickname":"Quill"}}}`,
      threadSource: "subagent",
      agentNickname: "Quill",
      agentRole: "reviewer",
      agentPath: "/root/reviewer_1",
      parentThreadId: parent,
      forkedFromId: null,
      modelProvider: "openai",
      model: "gpt-5.1-codex-mini",
      reasoningEffort: null,
      cwd: "/home/dev/shop",
      cliVersion: "0.63.0",
      title: "review the cart change",
      name: "Cart review",
      firstUserMessage: "review the cart change",
      sandboxPolicy: "read-only",
      approvalMode: "never",
      tokensUsed: 0,
      gitSha: null,
      gitBranch: null,
      gitOriginUrl: null,
      memoryMode: null,
      spawnStatus: "open"
    }
    expect(state.metadata).toEqual(expected)
    expect(state.dynamicTools).toEqual([
      {
        name: "lookup_ticket",
        namespace: null,
        description: "find a ticket",
        inputSchema: { type: "object", properties: { key: { type: "string" } }, required: ["key"] },
        hidden: false
      }
    ])
    expect(turnsOf(state)).toEqual([
      {
        index: 0,
        turnId: null,
        startedAt: Date.UTC(2025, 10, 21, 8, 0, 1, 0),
        model: "gpt-5.1-codex-mini",
        reasoningEffort: null,
        cwd: "/home/dev/shop",
        userMessage: "review the cart change",
        tokensUsed: 0
      }
    ])
  })
})

describe("memory mode", () => {
  it("a session meta's memory_mode sets it, an absent one keeps it and an explicit null clears it", () => {
    const set = [meta({ memory_mode: "enabled" }), meta({ memory_mode: "disabled" }, iso(1))]
    expect(fold(...set).metadata.memoryMode).toBe("disabled")
    expect(fold(...set, meta({}, iso(2))).metadata.memoryMode).toBe("disabled")
    expect(fold(...set, meta({ memory_mode: null }, iso(2))).metadata.memoryMode).toBeNull()
  })
})

describe("user_message: edges", () => {
  it("a message that starts with the request marker keeps the text after it", () => {
    expect(fold(userMessage("## My request for Codex: do it")).metadata.title).toBe("do it")
  })

  it("a message line without message text previews its images, or nothing", () => {
    const images = fold(event({ type: "user_message", images: ["data:image/png;base64,AAAA"] })).metadata
    expect([images.firstUserMessage, images.title]).toEqual(["[Image]", ""])
    const bare = fold(event({ type: "user_message" }))
    expect([bare.metadata.firstUserMessage, bare.metadata.title, bare.lastTurn?.userMessage]).toEqual([null, "", null])
  })
})

describe("turn_context and legacy header: absent members", () => {
  it("settings changing only the approval policy apply it", () => {
    const m = fold(
      meta(),
      turnContext({ model: "m", effort: "low", approval_policy: "on-request" }),
      event({
        type: "thread_settings_applied",
        thread_settings: { model: "m", reasoning_effort: "low", approval_policy: "never" }
      }, iso(3))
    ).metadata
    expect([m.model, m.reasoningEffort, m.approvalMode]).toEqual(["m", "low", "never"])
  })

  it("a turn context naming only a cwd, a model, a sandbox or an approval policy sets just that", () => {
    const m = (context: object) => fold(turnContext(context)).metadata
    expect(m({ cwd: "/only" }).cwd).toBe("/only")
    expect(m({ model: "only" }).model).toBe("only")
    expect(m({ sandbox_policy: { type: "danger-full-access" } }).sandboxPolicy).toBe("danger-full-access")
    expect(m({ approval_policy: "never" }).approvalMode).toBe("never")
    expect(m({ effort: "high" }).reasoningEffort).toBe("high")
  })

  it("a permission profile given as a string is stored as it is", () => {
    expect(fold(turnContext({ permission_profile: "workspace", model: "m" })).metadata.sandboxPolicy).toBe("workspace")
  })

  it("a turn context without a cwd leaves an empty cwd empty, for the thread and its turn", () => {
    const state = fold(userMessage("go", iso(1)), turnContext({ model: "m" }, iso(2)))
    expect([state.metadata.cwd, state.lastTurn?.cwd, state.lastTurn?.model]).toEqual(["", "", "m"])
  })

  it("a legacy header without a timestamp keeps the file name's creation time", () => {
    const state = fold({ id: ID })
    expect([state.metadata.createdAt, state.progress.createdAtSource]).toEqual([FILE_TS, "file_name"])
  })
})

describe("open turns and later contexts", () => {
  it("a turn context changing only the model, only the effort or only the cwd updates the open turn", () => {
    const opened = [meta({ cwd: "/w" }), turnContext({ model: "a", effort: "low" }, iso(1)), userMessage("go", iso(2))]
    const turn = (context: object) => fold(...opened, turnContext(context, iso(3))).lastTurn
    expect(turn({ model: "b", effort: "low" })).toMatchObject({ model: "b", reasoningEffort: "low", cwd: "/w" })
    expect(turn({ model: "a", effort: "high" })).toMatchObject({ model: "a", reasoningEffort: "high", cwd: "/w" })
    expect(turn({ model: "a", effort: "low", cwd: "/v" })).toMatchObject({
      model: "a",
      reasoningEffort: "low",
      cwd: "/v"
    })
  })

  it("turn_complete ends the open turn, as task_complete does", () => {
    const state = fold(meta(), event({ type: "task_started", turn_id: "t1" }, iso(1)), event({ type: "turn_complete" }))
    expect(state.progress.turnOpen).toBe(false)
  })
})

describe("line times across items", () => {
  it("a session meta that sets the creation time records that it came from the meta", () => {
    expect(fold(meta()).progress.createdAtSource).toBe("session_meta")
    expect(fold(event({ type: "agent_message", message: "hi" })).progress.createdAtSource).toBe("file_name")
  })

  it("a later line without a time, or with an earlier one, leaves the latest time seen", () => {
    const unread = (timestamp: string | null) => event({ type: "agent_message", message: "hi" }, timestamp)
    expect(fold(meta({}, null), unread(iso(9)), unread(null)).metadata.updatedAt).toBe(ms(9))
    expect(fold(meta({}, null), unread(iso(9)), unread(iso(3))).metadata.updatedAt).toBe(ms(9))
    expect(fold(meta({}, null), unread(iso(3)), unread(iso(9))).metadata.updatedAt).toBe(ms(9))
  })

  it("a first line time at or before the epoch is still taken as the latest", () => {
    const epoch = fold(meta({}, null), event({ type: "agent_message", message: "hi" }, "1970-01-01T00:00:00.000Z"))
    expect([epoch.metadata.updatedAt, epoch.progress.latestLineTimestamp]).toEqual([0, 0])
    const before = apply(start(), item(event({ type: "agent_message", message: "hi" }, "1969-12-31T23:59:59.000Z")))
    expect([before.metadata.updatedAt, before.progress.latestLineTimestamp]).toEqual([-1000, -1000])
  })
})
