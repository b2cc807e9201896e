/**
 * Deterministic synthetic Codex home for benchmarks: same options and seed, same bytes.
 * Shapes follow the real samples in test/fixtures/corpus/real (SPEC §1); sizes are skewed
 * like real homes (many small threads, a few huge ones) and `response_item` lines carry
 * most of the bytes, as they do in practice.
 *
 *   node --import tsx bench/generate.ts --dir D --files N --mb M [--seed S]
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { parseArgs } from "node:util"

export interface GenerateOptions {
  readonly dir: string
  readonly files: number
  readonly totalBytes: number
  readonly seed?: number
  /** Share of threads written under `archived_sessions/` (default 0.1). */
  readonly archivedFraction?: number
}

export interface GenerateSummary {
  readonly files: number
  readonly bytes: number
  readonly lines: number
}

// --- seeded randomness (mulberry32): the only source of variation ---------------------

class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(items: ReadonlyArray<T>): T {
    return items[Math.floor(this.next() * items.length)]!
  }
  gauss(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next())
  }
  /** Log-uniform between lo and hi: small values common, large ones possible. */
  logUniform(lo: number, hi: number): number {
    return Math.round(lo * Math.pow(hi / lo, this.next()))
  }
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) out[i] = (this.next() * 256) | 0
    return out
  }
  hex(n: number): string {
    return this.bytes(Math.ceil(n / 2)).toString("hex").slice(0, n)
  }
  /** A uuid v7 shape: 48-bit ms time, version 7, variant 10xx. */
  uuid7(ms: number): string {
    const t = ms.toString(16).padStart(12, "0")
    const r = this.hex(19)
    const variant = "89ab"[this.int(0, 3)]!
    return `${t.slice(0, 8)}-${t.slice(8)}-7${r.slice(0, 3)}-${variant}${r.slice(3, 6)}-${r.slice(6, 18)}`
  }
  callId(): string {
    return "call_" + this.bytes(18).toString("base64").replace(/[+/]/g, "x")
  }
}

// --- vocabulary -------------------------------------------------------------------------

const WORDS = (
  "the agent must read files before editing them and keep changes minimal run tests after each " +
  "change prefer rg over grep never commit unless asked explain the plan in short steps sandbox " +
  "network access is restricted approval required for writes outside the workspace"
).split(" ")
const MODELS = ["gpt-5.3-codex", "gpt-5.2-codex", "gpt-5.1-codex-max", "gpt-5.2", "o4-mini"]
const EFFORTS = ["minimal", "low", "medium", "high", "high", "xhigh", undefined]
const PROJECTS = ["rollout-state", "web-app", "infra", "ml-pipeline", "docs-site", "cli-tools", "payments"]
const APPROVALS = ["on-request", "on-request", "never", "untrusted", "on-failure"]
const NICKNAMES = ["Euclid", "Noether", "Turing", "Hopper", "Lovelace"]
const ROLES = ["explorer", "worker", "reviewer"]
const COMMANDS = [
  `rg -n "readRolloutBatches" src test`,
  `sed -n '1,200p' src/infra/RolloutReader.ts`,
  `npm test -- --reporter=dot`,
  `git status --short && git diff --stat`,
  `ls -la && cat package.json`,
  `npx tsc --noEmit -p tsconfig.json`,
  `python3 -c "import json,sys; print(json.load(sys.stdin)['items'][0])" < out.json`
]
/** Shell output lines with the characters that make JSON escaping work: quotes, backslashes, tabs. */
const OUTPUT_LINES = [
  `import { Effect, Layer, Schema } from "effect"`,
  `  const line = yield* Effect.tryPromise(() => readFile(path, "utf8"))`,
  `\tif err != nil {\treturn fmt.Errorf("open %s: %w", path, err) }`,
  `src/index.ts(42,7): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.`,
  `drwxr-xr-x  5 dev dev   4096 Feb 23 12:54 node_modules`,
  `    at Object.<anonymous> (/home/dev/src/app/test/run.test.ts:17:11)`,
  `{"level":"info","msg":"request done","status":200,"path":"/api/v1/items?q=\\"x\\""}`,
  `C:\\Users\\dev\\AppData\\Local\\Temp\\build-7f3a.log: warning: CRLF will be replaced by LF`,
  `+    expect(result).toEqual({ "id": "019c8a59", "ok": true })`,
  `-    return JSON.parse(text) as Record<string, unknown>;`,
  `warning: unused variable: \`buffer\` --> src/main.rs:88:9`,
  `Traceback (most recent call last):\n  File "/app/main.py", line 12, in <module>`
]
/**
 * Non-ASCII output, one output line in a hundred: about 0.3% of tool output bytes, as in the
 * unredacted real samples (0.2%), yet most large outputs hold some, so they decode as UTF-8.
 */
const NON_ASCII_LINES = [
  ` ✓ parses rollout lines (3 ms)`,
  ` ✗ folds résumé → “quoted” naïve café 🚀 (12 ms)`
]

// --- lines --------------------------------------------------------------------------------

const iso = (ms: number): string => new Date(ms).toISOString()
const sentence = (rng: Rng, words: number): string =>
  Array.from({ length: words }, () => rng.pick(WORDS)).join(" ") + "."
const prose = (rng: Rng, bytes: number): string => {
  const parts: Array<string> = []
  for (let n = 0; n < bytes;) {
    const s = sentence(rng, rng.int(6, 18))
    parts.push(s)
    n += s.length + 1
  }
  return parts.join(rng.chance(0.2) ? "\n\n" : " ")
}

/** exec_command-style output of about `bytes` bytes: a header, then numbered tool output. */
const shellOutput = (rng: Rng, bytes: number): string => {
  const parts = [
    `Chunk ID: ${rng.hex(6)}\nWall time: ${rng.next().toFixed(4)} seconds\nProcess exited with code ${
      rng.chance(0.85) ? 0 : 1
    }\nOutput:`
  ]
  const file = `src/${rng.pick(PROJECTS)}/${rng.pick(["index", "main", "reader", "fold"])}.ts`
  for (let n = parts[0]!.length, line = 1; n < bytes; line++) {
    const text = rng.chance(0.01) ? rng.pick(NON_ASCII_LINES) : rng.pick(OUTPUT_LINES)
    const entry = rng.chance(0.5) ? `${file}:${line}:${text}` : `${String(line).padStart(6)}\t${text}`
    parts.push(entry)
    n += entry.length + 1
  }
  return parts.join("\n")
}

/** Tool output sizes: mostly small, a tail of 100 KB–1 MB outputs that dominates the bytes. */
const outputSize = (rng: Rng): number => {
  const r = rng.next()
  if (r < 0.7) return rng.logUniform(60, 2_000)
  if (r < 0.92) return rng.logUniform(2_000, 16_000)
  if (r < 0.985) return rng.logUniform(16_000, 100_000)
  return rng.logUniform(100_000, 1_000_000)
}

const usage = (input: number, cached: number, output: number, reasoning: number) => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_output_tokens: reasoning,
  total_tokens: input + output
})

/** Writes one thread's lines, keeping time, token totals and byte count as it goes. */
class ThreadWriter {
  readonly lines: Array<string> = []
  bytes = 0
  private totals = { input: 0, cached: 0, output: 0, reasoning: 0 }
  private sawTokens = false

  constructor(private readonly rng: Rng, public clock: number, readonly threadId: string) {}

  line(type: string, payload: unknown, stepMs = this.rng.int(1, 400)): void {
    this.clock += stepMs
    const text = JSON.stringify({ timestamp: iso(this.clock), type, payload }) + "\n"
    this.lines.push(text)
    this.bytes += Buffer.byteLength(text)
  }
  event(payload: { type: string; [key: string]: unknown }, stepMs?: number): void {
    this.line("event_msg", payload, stepMs)
  }
  item(payload: { type: string; [key: string]: unknown }, stepMs?: number): void {
    this.line("response_item", payload, stepMs)
  }
  message(role: string, text: string, phase?: string): void {
    const kind = role === "assistant" ? "output_text" : "input_text"
    this.item({ type: "message", role, content: [{ type: kind, text }], ...(phase ? { phase } : {}) })
  }
  /** Cumulative totals; the first count of a thread has no info yet, as in real files. */
  tokenCount(addInput: number, addOutput: number): void {
    const rng = this.rng
    const info = this.sawTokens
      ? (() => {
        const last = usage(addInput, Math.floor(addInput * 0.8), addOutput, Math.floor(addOutput * 0.4))
        const t = this.totals
        t.input += last.input_tokens
        t.cached += last.cached_input_tokens
        t.output += last.output_tokens
        t.reasoning += last.reasoning_output_tokens
        return {
          total_token_usage: usage(t.input, t.cached, t.output, t.reasoning),
          last_token_usage: last,
          model_context_window: 258400
        }
      })()
      : null
    this.sawTokens = true
    this.event({
      type: "token_count",
      info,
      rate_limits: {
        limit_id: "codex",
        primary: {
          used_percent: rng.int(0, 100),
          window_minutes: 300,
          resets_at: Math.floor(this.clock / 1000) + 9000
        },
        secondary: {
          used_percent: rng.int(0, 100),
          window_minutes: 10080,
          resets_at: Math.floor(this.clock / 1000) + 500000
        },
        credits: { has_credits: false, unlimited: false, balance: null },
        plan_type: null
      }
    })
  }
}

interface ThreadPlan {
  readonly id: string
  readonly createdMs: number
  readonly targetBytes: number
  readonly parentId: string | undefined
}

const sessionMeta = (rng: Rng, w: ThreadWriter, plan: ThreadPlan, cwd: string): void => {
  const spawn = plan.parentId !== undefined
  const nickname = rng.pick(NICKNAMES)
  const role = rng.pick(ROLES)
  const agentPath = `/root/agent_${rng.int(1, 9)}`
  const source = spawn
    ? {
      subagent: {
        thread_spawn: {
          parent_thread_id: plan.parentId,
          depth: 1,
          agent_nickname: nickname,
          agent_role: role,
          agent_path: agentPath
        }
      }
    }
    : rng.pick(["cli", "cli", "vscode", "vscode", "exec"])
  w.line("session_meta", {
    id: plan.id,
    timestamp: iso(plan.createdMs),
    cwd,
    originator: source === "vscode" ? "codex_vscode" : "codex_cli_rs",
    cli_version: `0.${rng.int(98, 146)}.${rng.int(0, 3)}`,
    source,
    ...(spawn ? { agent_nickname: nickname, agent_role: role, agent_path: agentPath } : {}),
    model_provider: rng.chance(0.9) ? "openai" : "azure",
    base_instructions: { text: prose(rng, rng.int(2_000, 14_000)) },
    ...(rng.chance(0.2)
      ? {
        dynamic_tools: Array.from({ length: rng.int(1, 4) }, (_, i) => ({
          name: `tool_${i}_${rng.hex(4)}`,
          description: sentence(rng, 12),
          input_schema: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
          ...(rng.chance(0.3) ? { defer_loading: true } : {})
        }))
      }
      : {}),
    ...(rng.chance(0.7)
      ? {
        git: {
          commit_hash: rng.hex(40),
          branch: rng.pick(["main", "dev", "feat/reader"]),
          repository_url: `https://github.com/acme/${rng.pick(PROJECTS)}.git`
        }
      }
      : {})
  }, 0)
  // The opening context the host injects before the first turn.
  w.message("developer", `<permissions instructions>\n${prose(rng, rng.int(800, 4_000))}\n</permissions instructions>`)
  w.message("user", `<environment_context>\n  <cwd>${cwd}</cwd>\n  <shell>bash</shell>\n</environment_context>`)
}

/** One turn: task start, user message, then one `turn_context` per model request. */
const turn = (rng: Rng, w: ThreadWriter, cwd: string, budget: number): void => {
  const turnId = rng.uuid7(w.clock)
  const model = rng.pick(MODELS)
  let effort = rng.pick(EFFORTS)
  const request = prose(rng, rng.int(20, 600))
  const message = rng.chance(0.3)
    ? `# Context from my IDE\n\n## Open tabs: src/a.ts\n\n## My request for Codex:\n${request}`
    : request
  w.event(
    { type: "task_started", turn_id: turnId, model_context_window: 258400, collaboration_mode_kind: "default" },
    rng.int(30_000, 3_600_000)
  )
  w.message("user", message)
  w.event({ type: "user_message", message, images: [], local_images: [], text_elements: [] })
  if (rng.chance(0.05)) w.event({ type: "thread_name_updated", thread_id: w.threadId, thread_name: sentence(rng, 4) })
  const requests = rng.int(1, 10)
  let last = ""
  for (let r = 0; r < requests; r++) {
    if (rng.chance(0.15)) effort = rng.pick(EFFORTS)
    w.line("turn_context", {
      turn_id: turnId,
      cwd,
      approval_policy: rng.pick(APPROVALS),
      sandbox_policy: {
        type: "workspace-write",
        writable_roots: [cwd],
        network_access: false,
        exclude_tmpdir_env_var: false,
        exclude_slash_tmp: false
      },
      model,
      ...(effort === undefined ? {} : { effort }),
      summary: "auto",
      truncation_policy: { mode: "tokens", limit: 10000 }
    })
    w.tokenCount(rng.int(2_000, 30_000), rng.int(50, 2_000))
    const thought = sentence(rng, rng.int(4, 10))
    w.event({ type: "agent_reasoning", text: thought }, rng.int(500, 8_000))
    w.item({
      type: "reasoning",
      summary: [{ type: "summary_text", text: thought }],
      content: null,
      // Real reasoning lines average 4.4 KB (W058 sample), nearly all of it this base64 blob.
      encrypted_content: "gAAAAAB" + rng.bytes(rng.logUniform(600, 9_000)).toString("base64")
    })
    last = prose(rng, rng.int(60, 900))
    if (r === requests - 1) {
      w.event({ type: "agent_message", message: last })
      w.message("assistant", last, "final_answer")
      w.tokenCount(rng.int(2_000, 30_000), rng.int(50, 2_000))
      break
    }
    if (rng.chance(0.5)) {
      w.event({ type: "agent_message", message: last })
      w.message("assistant", last, "commentary")
    }
    const calls = Array.from({ length: rng.int(1, 3) }, () => rng.callId())
    for (const callId of calls) {
      const args = { cmd: rng.pick(COMMANDS), workdir: cwd, yield_time_ms: 10000, max_output_tokens: 10000 }
      w.item({ type: "function_call", name: "exec_command", arguments: JSON.stringify(args), call_id: callId })
    }
    w.tokenCount(rng.int(2_000, 30_000), rng.int(50, 2_000))
    for (const callId of calls) {
      // Never overshoot a small thread's size by much with one huge output.
      const size = Math.min(outputSize(rng), Math.max(200, budget - w.bytes))
      w.item({ type: "function_call_output", call_id: callId, output: shellOutput(rng, size) }, rng.int(50, 30_000))
    }
  }
  if (rng.chance(0.04)) w.event({ type: "turn_aborted", turn_id: turnId, reason: "interrupted" })
  else w.event({ type: "task_complete", turn_id: turnId, last_agent_message: last })
}

const compaction = (rng: Rng, w: ThreadWriter): void => {
  const history = Array.from({ length: rng.int(2, 8) }, (_, i) => ({
    type: "message",
    role: i % 2 === 0 ? "user" : "assistant",
    content: [{ type: i % 2 === 0 ? "input_text" : "output_text", text: prose(rng, rng.int(100, 3_000)) }]
  }))
  w.line("compacted", { message: "", replacement_history: history }, rng.int(1_000, 20_000))
  w.event({ type: "context_compacted" })
}

const pad2 = (n: number): string => String(n).padStart(2, "0")

/** Relative path of a rollout; the name's time is meant to be local time, here UTC for determinism. */
const rolloutPath = (plan: ThreadPlan, archived: boolean): string => {
  const d = new Date(plan.createdMs)
  const [y, mo, da] = [d.getUTCFullYear(), pad2(d.getUTCMonth() + 1), pad2(d.getUTCDate())]
  const name = `rollout-${y}-${mo}-${da}T${pad2(d.getUTCHours())}-${pad2(d.getUTCMinutes())}-${
    pad2(d.getUTCSeconds())
  }-${plan.id}.jsonl`
  return archived ? join("archived_sessions", name) : join("sessions", String(y), mo, da, name)
}

/** Lognormal weights: a long tail of big threads over many small ones. */
const threadSizes = (rng: Rng, files: number, totalBytes: number): Array<number> => {
  const weights = Array.from({ length: files }, () => Math.exp(1.5 * rng.gauss()))
  const sum = weights.reduce((a, b) => a + b, 0)
  return weights.map((w) => Math.max(12_000, Math.round((w / sum) * totalBytes)))
}

export const generateHome = async (options: GenerateOptions): Promise<GenerateSummary> => {
  const rng = new Rng(options.seed ?? 1)
  const archivedFraction = options.archivedFraction ?? 0.1
  const sizes = threadSizes(rng, options.files, options.totalBytes)
  let clock = Date.UTC(2026, 0, 5, 8, 0, 0) + rng.int(0, 86_400_000)
  const ids: Array<string> = []
  let bytes = 0
  let lines = 0
  for (const targetBytes of sizes) {
    clock += rng.int(60_000, 6 * 3_600_000)
    const plan: ThreadPlan = {
      id: rng.uuid7(clock),
      createdMs: clock,
      targetBytes,
      parentId: ids.length > 0 && rng.chance(0.15) ? rng.pick(ids) : undefined
    }
    ids.push(plan.id)
    const w = new ThreadWriter(rng, clock + rng.int(100, 20_000), plan.id)
    const cwd = `/home/dev/src/${rng.pick(PROJECTS)}`
    sessionMeta(rng, w, plan, cwd)
    while (w.bytes < targetBytes) {
      if (w.bytes > 200_000 && rng.chance(0.03)) compaction(rng, w)
      turn(rng, w, cwd, targetBytes)
    }
    const path = join(options.dir, rolloutPath(plan, rng.chance(archivedFraction)))
    await mkdir(join(path, ".."), { recursive: true })
    await writeFile(path, w.lines.join(""))
    bytes += w.bytes
    lines += w.lines.length
  }
  return { files: options.files, bytes, lines }
}

// CLI entry, only when run as a script (bench/reader.ts runs it in a child process).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      dir: { type: "string" },
      files: { type: "string", default: "200" },
      mb: { type: "string", default: "200" },
      seed: { type: "string", default: "1" },
      archived: { type: "string", default: "0.1" }
    }
  })
  if (values.dir === undefined) {
    console.error("usage: node --import tsx bench/generate.ts --dir D --files N --mb M [--seed S]")
    process.exit(2)
  }
  const started = performance.now()
  const summary = await generateHome({
    dir: values.dir,
    files: Number(values.files),
    totalBytes: Math.round(Number(values.mb) * 1e6),
    seed: Number(values.seed),
    archivedFraction: Number(values.archived)
  })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(
    `generated ${summary.files} files, ${
      (summary.bytes / 1e6).toFixed(1)
    } MB, ${summary.lines} lines in ${values.dir} (${seconds} s)`
  )
}
