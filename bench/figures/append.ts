/**
 * Live append: latency of `engine.append` of a 10-item batch (validate, write the file,
 * project the tail in one transaction) against the bare file append of the same bytes
 * (`appendFileSync`: open, write, close), interleaved one for one in the same run. Each
 * batch is also appended to a second thread with `durability: "data"` (fdatasync before the
 * projection commits), so the cost of that option is a ratio taken call for call.
 */
import { Context, Effect, Layer } from "effect"
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { encodeRolloutLine } from "../../src/domain/RolloutItem.js"
import * as Engine from "../../src/infra/engine/Engine.js"
import { type Figure, log, percentile, row } from "../harness.js"

const BATCH = 10
/** Batches per turn: the first opens it, the last closes it. */
const TURN_BATCHES = 5

/** The `k`-th batch of a thread in progress: a turn spans five batches of ten items. */
export const batchOf = (k: number, startMs: number): Array<Engine.WritableItem> => {
  const turnId = `turn-${Math.floor(k / TURN_BATCHES)}`
  const items: Array<Engine.WritableItem> = []
  if (k % TURN_BATCHES === 0) {
    items.push({ type: "event_msg", payload: { type: "task_started", turn_id: turnId } })
    items.push({
      type: "event_msg",
      payload: { type: "user_message", message: `make step ${k} pass; keep the diff small` }
    })
  }
  const body: ReadonlyArray<Engine.WritableItem> = [
    {
      type: "turn_context",
      payload: {
        turn_id: turnId,
        cwd: "/home/dev/src/app",
        approval_policy: "on-request",
        sandbox_policy: { type: "workspace-write" },
        model: "gpt-5.3-codex",
        effort: "high",
        summary: "auto"
      }
    },
    {
      type: "event_msg",
      payload: {
        type: "token_count",
        info: {
          total_token_usage: { input_tokens: 1000 * k, output_tokens: 50 * k, total_tokens: 1050 * k },
          model_context_window: 258400
        }
      }
    },
    {
      type: "response_item",
      payload: {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "Looking at the reader." }],
        encrypted_content: "gAAAAAB" + "x".repeat(2400)
      }
    },
    {
      type: "response_item",
      payload: {
        type: "function_call",
        name: "exec_command",
        arguments: JSON.stringify({ cmd: "rg -n fold src" }),
        call_id: `call_${k}`
      }
    },
    {
      type: "response_item",
      payload: {
        type: "function_call_output",
        call_id: `call_${k}`,
        output: "src/fold.ts:12:  const state = applyAll(state, items)\n".repeat(30)
      }
    },
    { type: "event_msg", payload: { type: "agent_message", message: "The fold resumes from the recorded offset." } }
  ]
  for (let i = 0; items.length < BATCH - (k % TURN_BATCHES === TURN_BATCHES - 1 ? 1 : 0); i++) {
    items.push(body[i % body.length]!)
  }
  if (k % TURN_BATCHES === TURN_BATCHES - 1) {
    items.push({ type: "event_msg", payload: { type: "task_complete", turn_id: turnId } })
  }
  // Explicit timestamps, so the bare append writes exactly the bytes the engine writes.
  return items.map((item, i) =>
    ({ ...item, timestamp: new Date(startMs + k * 1000 + i).toISOString() }) as Engine.WritableItem
  )
}

/**
 * Fixed CPU work (a hash over a batch's bytes, `rounds` times): a reference for the machine's
 * noise. It allocates nothing, so it never brings garbage collection into the appends' times.
 */
const fixedWork = (bytes: Uint8Array, rounds: number): number => {
  let h = 0x811c9dc5
  for (let r = 0; r < rounds; r++) for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  return h
}

/** Rounds of `fixedWork` that take about `ms` here and now. */
const calibrate = (bytes: Uint8Array, ms: number): number => {
  const once: Array<number> = []
  for (let i = 0; i < 60; i++) {
    const started = performance.now()
    fixedWork(bytes, 1)
    if (i >= 20) once.push(performance.now() - started)
  }
  return Math.max(1, Math.round(ms / percentile(once, 50)))
}

export const figure: Figure = {
  id: "append",
  run: async (sizes) => {
    const dir = mkdtempSync(join(tmpdir(), "bench-append-"))
    const home = join(dir, "home")
    const bare = join(dir, "bare.jsonl")
    writeFileSync(bare, "")
    const warmup = Math.min(200, sizes.appends)
    const total = warmup + sizes.appends
    const startMs = Date.UTC(2026, 1, 1)
    const batches = Array.from({ length: total }, (_, k) => batchOf(k, startMs))
    const texts = batches.map((items) => items.map(encodeRolloutLine).join(""))
    const sample = Buffer.from(texts[0]!)
    const times = await Effect.gen(function*() {
      const engine = yield* Engine.Engine
      // The same appends to an engine of its own with the search index off: what indexing costs.
      const unindexed = Context.get(
        yield* Layer.build(
          Engine.layer({ home: `${home}-unindexed`, database: join(dir, "unindexed.sqlite"), messageKinds: [] })
        ),
        Engine.Engine
      )
      const plain = yield* unindexed.createThread({ cwd: "/home/dev/src/app", source: "cli", model_provider: "openai" })
      const thread = yield* engine.createThread({ cwd: "/home/dev/src/app", source: "cli", model_provider: "openai" })
      const synced = yield* engine.createThread({ cwd: "/home/dev/src/app", source: "cli", model_provider: "openai" })
      const engineMs: Array<number> = []
      const syncedMs: Array<number> = []
      const bareMs: Array<number> = []
      const fixedMs: Array<number> = []
      const indexedMs: Array<number> = []
      const unindexedMs: Array<number> = []
      let rounds = 1
      for (let k = 0; k < total; k++) {
        // After the warm-up: fixed work sized like an append, to show what the machine's noise
        // alone does to the tail of an operation that long.
        if (k === warmup) rounds = calibrate(sample, percentile(engineMs.splice(0), 50))
        // Keep it sized like the appends as they go (their cost drifts as the thread grows).
        else if (k > warmup && (k - warmup) % 100 === 0) {
          rounds = Math.max(
            1,
            Math.round(rounds * percentile(engineMs.slice(-100), 50) / percentile(fixedMs.slice(-100), 50))
          )
        }
        const u0 = performance.now()
        if (k % 2 === 0) yield* unindexed.append(plain.metadata.id, batches[k]!)
        const t0 = performance.now()
        yield* engine.append(thread.metadata.id, batches[k]!)
        const t1 = performance.now()
        if (k % 2 === 1) yield* unindexed.append(plain.metadata.id, batches[k]!)
        const u1 = performance.now()
        if (k >= warmup) {
          indexedMs.push(t1 - t0)
          unindexedMs.push(k % 2 === 0 ? t0 - u0 : u1 - t1)
        }
        appendFileSync(bare, texts[k]!)
        const t2 = performance.now()
        fixedWork(sample, rounds)
        const t3 = performance.now()
        yield* engine.append(synced.metadata.id, batches[k]!, { durability: "data" })
        const t4 = performance.now()
        engineMs.push(t1 - t0)
        if (k >= warmup) {
          bareMs.push(t2 - t1)
          fixedMs.push(t3 - t2)
          syncedMs.push(t4 - t3)
        }
      }
      const record = yield* engine.getThread(thread.metadata.id)
      if (record?.placement.projectedLines !== 1 + total * BATCH) {
        throw new Error(`projected ${record?.placement.projectedLines} lines`)
      }
      return { engineMs, bareMs, fixedMs, syncedMs, indexedMs, unindexedMs }
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.fresh(Engine.layer({ home, database: join(dir, "state.sqlite") }))),
      Effect.runPromise
    )
    rmSync(dir, { recursive: true, force: true })
    const stat = (p: number) => ({
      engine: percentile(times.engineMs, p),
      bare: percentile(times.bareMs, p),
      fixed: percentile(times.fixedMs, p),
      indexed: percentile(times.indexedMs, p),
      unindexed: percentile(times.unindexedMs, p),
      synced: percentile(times.syncedMs, p)
    })
    const [p50, p99] = [stat(50), stat(99)]
    log(
      `append: ${sizes.appends} batches of ${BATCH} (after ${warmup} warm-up); engine p50 ${
        p50.engine.toFixed(3)
      } p99 ${p99.engine.toFixed(3)} ms; durability data p50 ${p50.synced.toFixed(3)} p99 ${p99.synced.toFixed(3)} ms`
    )
    const note = `${sizes.appends} batches of ${BATCH} items (~${
      (texts[0]!.length / 1024).toFixed(0)
    } KB); baseline: appendFileSync of the same bytes`
    const indexRows = [50, 99].map((p) => {
      const { indexed, unindexed } = p === 50 ? p50 : p99
      return row({
        figure: `append 10 items, search index on, p${p}`,
        value: indexed,
        unit: "ms",
        baseline: unindexed,
        ratio: indexed / unindexed,
        note: "baseline: the same appends to an engine with messageKinds [] (no message indexed), interleaved"
      })
    })
    return [
      ...indexRows,
      row({
        figure: "append 10 items, p50",
        value: p50.engine,
        unit: "ms",
        baseline: p50.bare,
        ratio: p50.engine / p50.bare,
        note
      }),
      row({
        figure: "append 10 items, p99",
        value: p99.engine,
        unit: "ms",
        baseline: p99.bare,
        ratio: p99.engine / p99.bare
      }, {
        on: "value",
        op: "<",
        bound: 2
      }),
      row({
        figure: "append 10 items, durability data, p50",
        value: p50.synced,
        unit: "ms",
        baseline: p50.engine,
        ratio: p50.synced / p50.engine,
        note: "fdatasync before the projection commits; baseline: the same append with durability none"
      }),
      row({
        figure: "append 10 items, durability data, p99",
        value: p99.synced,
        unit: "ms",
        baseline: p99.engine,
        ratio: p99.synced / p99.engine
      }),
      row({
        figure: "noise reference: fixed CPU work, p99",
        value: p99.fixed,
        unit: "ms",
        baseline: p50.fixed,
        ratio: p99.fixed / p50.fixed,
        note:
          "the same allocation-free CPU work after every append, sized to the appends' running p50; baseline: its p50; ratio: p99/p50"
      })
    ]
  }
}
