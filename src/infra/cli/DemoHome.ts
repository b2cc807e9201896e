/**
 * A small, realistic home for `rollout-state demo`: editor and CLI sessions with turns,
 * tool calls and token counts, a sub-agent and its parent, an archived thread, a legacy
 * file, and the faults real homes have (a torn last line, a corrupt line).
 * @since 0.1.0
 */
import { mkdir, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { encodeRolloutLine } from "../../domain/RolloutItem.js"
import type { WritableItem } from "../engine/Engine.js"
import { ARCHIVED_SESSIONS_DIR, newRolloutPath } from "../rollout/Layout.js"
import { uuidV7 } from "../rollout/RolloutStore.js"

const PROJECTS = ["/home/dev/shop", "/home/dev/api", "/home/dev/infra"] as const
const REQUESTS = [
  "add a discount code field to the cart",
  "why does the login test flake on CI?",
  "## My request for Codex:\nrename the billing module and update imports",
  "write a migration that adds an index on orders.created_at",
  "summarize what changed in the last release",
  "make the retry logic exponential with jitter",
  "profile the slow search endpoint"
] as const

const at = (ms: number) => new Date(ms).toISOString()

const session = (
  id: string,
  start: number,
  index: number,
  extra: Record<string, unknown> = {}
): Array<WritableItem> => {
  const cwd = PROJECTS[index % PROJECTS.length]!
  const items: Array<WritableItem> = [{
    type: "session_meta",
    timestamp: at(start),
    payload: {
      id,
      timestamp: at(start),
      cwd,
      originator: index % 2 === 0 ? "codex_cli_rs" : "codex_vscode",
      cli_version: "0.140.0",
      source: index % 2 === 0 ? "cli" : "vscode",
      model_provider: "openai",
      base_instructions: { text: "You are a coding agent." },
      git: {
        commit_hash: (0x9f8e7d6c + index).toString(16),
        branch: index % 3 === 0 ? "main" : `feature/${index}`,
        repository_url: `https://example.org${cwd}.git`
      },
      ...extra
    }
  }]
  let t = start + 1000
  let tokens = 0
  for (let turn = 0; turn < 1 + (index % 3); turn++) {
    const turnId = `turn-${index}-${turn}`
    items.push({ type: "event_msg", timestamp: at(t), payload: { type: "task_started", turn_id: turnId } })
    items.push({
      type: "turn_context",
      timestamp: at(t + 5),
      payload: {
        turn_id: turnId,
        cwd,
        approval_policy: "on-request",
        sandbox_policy: { type: "workspace-write", network_access: false },
        model: "gpt-5.1-codex",
        effort: turn % 2 === 0 ? "medium" : "high",
        summary: "auto"
      }
    })
    items.push({
      type: "event_msg",
      timestamp: at(t + 10),
      payload: { type: "user_message", message: REQUESTS[(index + turn) % REQUESTS.length]!, images: [] }
    })
    items.push({
      type: "response_item",
      timestamp: at(t + 2000),
      payload: {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "Looking at the code" }],
        encrypted_content: "gAAAA".padEnd(1500, "B")
      }
    })
    items.push({
      type: "response_item",
      timestamp: at(t + 3000),
      payload: {
        type: "function_call",
        name: "shell",
        arguments: JSON.stringify({ command: ["rg", "-n", "TODO"] }),
        call_id: `call_${index}_${turn}`
      }
    })
    items.push({
      type: "response_item",
      timestamp: at(t + 4000),
      payload: {
        type: "function_call_output",
        call_id: `call_${index}_${turn}`,
        output: "src/app.ts:1: // TODO\n".repeat(40)
      }
    })
    tokens += 9000 + 1000 * index
    items.push({
      type: "event_msg",
      timestamp: at(t + 4500),
      payload: {
        type: "token_count",
        info: {
          total_token_usage: {
            input_tokens: tokens - 300,
            cached_input_tokens: 0,
            output_tokens: 300,
            reasoning_output_tokens: 100,
            total_tokens: tokens
          }
        }
      }
    })
    items.push({ type: "event_msg", timestamp: at(t + 5000), payload: { type: "agent_message", message: "Done." } })
    items.push({ type: "event_msg", timestamp: at(t + 5100), payload: { type: "task_complete", turn_id: turnId } })
    t += 60_000
  }
  return items
}

const write = async (path: string, items: ReadonlyArray<WritableItem>, tail = "") => {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, items.map(encodeRolloutLine).join("") + tail)
}

/**
 * Writes the demo home under `home` and returns how many files it wrote.
 * @since 0.1.0
 */
export const writeDemoHome = async (home: string, nowMs: number): Promise<number> => {
  const day = 86_400_000
  const ids: Array<string> = []
  let files = 0
  for (let i = 0; i < 8; i++) {
    const start = nowMs - (8 - i) * day / 2
    const id = uuidV7(start)
    ids.push(id)
    // One thread was cut off by a crash mid-write: its torn last line is ignored.
    const tail = i === 3 ? "{\"timestamp\":\"" + at(start + 999_000) + "\",\"type\":\"event_msg\",\"payl" : ""
    const items = session(id, start, i)
    // And one has a line a buggy tool corrupted: reported, skipped, the rest is read.
    if (i === 5) items.splice(3, 0, { type: "unknown", rawType: "world_state", payload: { full: true } })
    await write(newRolloutPath(home, id, start), items, tail)
    if (i === 5) await writeFile(newRolloutPath(home, id, start), "{\"timestamp\": oops}\n", { flag: "a" })
    files++
  }
  const parent = ids[6]!
  const childStart = nowMs - day / 4
  const child = uuidV7(childStart)
  await write(
    newRolloutPath(home, child, childStart),
    session(child, childStart, 9, {
      source: {
        subagent: {
          thread_spawn: { parent_thread_id: parent, depth: 1, agent_nickname: "Quill", agent_role: "reviewer" }
        }
      },
      thread_source: "subagent",
      agent_path: "/root/reviewer_1",
      dynamic_tools: [{
        name: "lookup_ticket",
        description: "Find a ticket by key",
        input_schema: { type: "object", properties: { key: { type: "string" } } }
      }]
    })
  )
  files++
  const archivedStart = nowMs - 10 * day
  const archived = uuidV7(archivedStart)
  const archivedName = newRolloutPath(home, archived, archivedStart).split("/").pop()!
  await write(join(home, ARCHIVED_SESSIONS_DIR, archivedName), [
    ...session(archived, archivedStart, 2),
    {
      type: "event_msg",
      timestamp: at(archivedStart + 90_000),
      payload: { type: "thread_name_updated", thread_id: archived, thread_name: "Billing rename" }
    }
  ])
  files++
  const legacyStart = nowMs - 200 * day
  const legacy = "5973b6c0-94b8-487b-a530-2aeb6098ae0e"
  await write(newRolloutPath(home, legacy, legacyStart), [
    {
      type: "legacy_header",
      payload: { id: legacy, timestamp: at(legacyStart), git: { commit_hash: "0badc0de", branch: "main" } }
    },
    { type: "legacy_state", payload: { record_type: "state" } },
    {
      type: "response_item",
      legacy: true,
      payload: { type: "message", role: "user", content: [{ type: "input_text", text: "legacy request" }] }
    }
  ])
  return files + 1
}
