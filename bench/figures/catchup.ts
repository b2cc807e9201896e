/**
 * Catch-up on open: a home of 10,000 threads (`--catchup-threads`: each of the sizes given),
 * projected; 1% of the files get a new turn appended behind the engine's back; the time to
 * open the engine (which catches up every thread whose file grew), then to open it again with
 * nothing changed, against a full rebuild of the same home, alternating.
 * The cached home is restored (appended files truncated back) at the end.
 */
import { Context, Effect, Layer } from "effect"
import { appendFileSync, mkdtempSync, rmSync, statSync, truncateSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Engine from "../../src/infra/engine/Engine.js"
import { type Figure, log, median, type Row, row, type Sizes, threadsHome, timed, withEngine } from "../harness.js"
import { rolloutFiles } from "../homeFiles.js"

/** One turn written by another host: seven lines, one of them a 2 KB tool output. */
const turnLines = (threadId: string, at: number): string => {
  const line = (offset: number, type: string, payload: unknown) =>
    JSON.stringify({ timestamp: new Date(at + offset).toISOString(), type, payload }) + "\n"
  const turnId = `late-${at}`
  return [
    line(0, "event_msg", { type: "task_started", turn_id: turnId }),
    line(1, "event_msg", { type: "user_message", message: `continue ${threadId.slice(0, 8)} from another host` }),
    line(2, "turn_context", {
      turn_id: turnId,
      cwd: "/home/dev/src/app",
      approval_policy: "on-request",
      sandbox_policy: { type: "read-only" },
      model: "gpt-5.3-codex",
      effort: "medium"
    }),
    line(3, "event_msg", {
      type: "token_count",
      info: { total_token_usage: { input_tokens: 9000, output_tokens: 300, total_tokens: 9300 } }
    }),
    line(4, "response_item", { type: "function_call_output", call_id: "call_late", output: "ok\n".repeat(700) }),
    line(5, "event_msg", { type: "agent_message", message: "done" }),
    line(6, "event_msg", { type: "task_complete", turn_id: turnId })
  ].join("")
}

const threadIdOf = (file: string): string => /([0-9a-f-]{36})\.jsonl$/.exec(file)![1]!

/** Seconds to open an engine over `home` (migrations check, catch-up); the check that nothing is left after it and the close are not timed. */
const timedOpen = (home: string, database: string) =>
  Effect.scoped(Effect.gen(function*() {
    const [seconds, context] = yield* timed(Layer.build(Layer.fresh(Engine.layer({ home, database }))))
    const leftover = yield* Context.get(context, Engine.Engine).catchUp
    if (leftover.caughtUp !== 0) throw new Error(`catch-up on open left ${leftover.caughtUp} threads behind`)
    return seconds
  }))

/** The rows of one home of `threads` threads. */
const measure = async (threads: number, sizes: Sizes): Promise<ReadonlyArray<Row>> => {
  const home = await threadsHome(threads, sizes.seed)
  const files = rolloutFiles(home)
  const original = new Map(files.map((f) => [f, statSync(f).size]))
  const dir = mkdtempSync(join(tmpdir(), "bench-catchup-"))
  const database = join(dir, "state.sqlite")
  const reps = Math.max(2, sizes.reps)
  const rebuilds: Array<number> = []
  const catchUps: Array<number> = []
  const unchanged: Array<number> = []
  let grown = 0
  try {
    await withEngine(home, database, (engine) =>
      Effect.gen(function*() {
        for (let rep = 0; rep < reps; rep++) {
          const [rebuilt, report] = yield* timed(engine.rebuild())
          if (report.failed > 0 || report.upserted !== files.length) {
            throw new Error(`rebuild: ${JSON.stringify(report).slice(0, 300)}`)
          }
          rebuilds.push(rebuilt)
          // A different 1% each time, written behind the engine's back.
          const stale = files.filter((_, i) => i % 100 === rep % 100)
          grown = stale.length
          const at = Date.UTC(2030, 0, 1) + rep * 60_000
          for (const file of stale) appendFileSync(file, turnLines(threadIdOf(file), at))
          catchUps.push(yield* timedOpen(home, database))
          const sample = yield* engine.getThread(threadIdOf(stale[0]!))
          if (sample?.metadata.updatedAt !== at + 6) throw new Error(`catch-up missed ${stale[0]}`)
          // And again with nothing changed since: what every open of a quiet home costs.
          unchanged.push(yield* timedOpen(home, database))
        }
      }))
  } finally {
    for (const [file, size] of original) if (statSync(file).size !== size) truncateSync(file, size)
    rmSync(dir, { recursive: true, force: true })
  }
  const [c, u, r] = [median(catchUps), median(unchanged), median(rebuilds)]
  log(
    `catch-up: ${files.length} threads, ${grown} grown; open ${catchUps.map((s) => s.toFixed(3)).join(" ")} s; ` +
      `open unchanged ${unchanged.map((s) => s.toFixed(3)).join(" ")} s; rebuild ${
        rebuilds.map((s) => s.toFixed(2)).join(" ")
      } s`
  )
  const target = { on: "ratio", op: "<=", bound: 0.05 } as const
  return [
    row({
      figure: `catch-up on open, ${files.length} threads, 1% grown`,
      value: c,
      unit: "s",
      baseline: r,
      ratio: c / r,
      note:
        `engine open (migrations check + catch-up of ${grown} files; the check after it and the close not timed); baseline: rebuild of the same home; median of ${reps}`
    }, target),
    row({
      figure: `open, ${files.length} threads, nothing changed`,
      value: u,
      unit: "s",
      baseline: r,
      ratio: u / r,
      note:
        `engine open right after the 1% one (every file stat-ed, none projected); baseline: rebuild; median of ${reps}`
    }, target)
  ]
}

export const figure: Figure = {
  id: "catchup",
  run: async (sizes) => {
    const rows: Array<Row> = []
    for (const threads of sizes.catchupThreads) rows.push(...(await measure(threads, sizes)))
    return rows
  }
}
