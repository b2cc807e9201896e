import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startWorker, stopWorker } from "../../../src/infra/workers/WorkerThread.js"

const exited = (worker: ReturnType<typeof startWorker>) =>
  new Promise<number>((resolve) => worker.once("exit", resolve))

describe("worker threads", () => {
  it.live("a worker asked to stop finishes its own way and is waited for", () =>
    Effect.gen(function*() {
      const worker = startWorker(
        `const { parentPort } = require("node:worker_threads")
         parentPort.on("message", (m) => { if (m === "stop") process.exit(7) })`,
        { onError: () => {} }
      )
      const code = exited(worker)
      yield* stopWorker(worker, { ask: true })
      expect(yield* Effect.promise(() => code)).toBe(7)
    }))

  it.live("a worker that ignores the request is terminated after the timeout", () =>
    Effect.gen(function*() {
      const worker = startWorker(`setInterval(() => {}, 1000)`, { onError: () => {} })
      const code = exited(worker)
      // Terminated before it runs (a loaded machine starts it late), a worker exits 0, not 1.
      yield* Effect.promise(() => new Promise((resolve) => worker.once("online", resolve)))
      const started = Date.now()
      yield* stopWorker(worker, { ask: true, timeoutMs: 200 })
      expect(Date.now() - started).toBeGreaterThanOrEqual(190)
      expect(yield* Effect.promise(() => code)).toBe(1)
    }))

  it.live("terminating a worker that already exited returns at once", () =>
    Effect.gen(function*() {
      const worker = startWorker(`process.exit(0)`, { onError: () => {} })
      yield* Effect.promise(() => exited(worker))
      yield* stopWorker(worker, { ask: false })
      expect(worker.threadId).toBe(-1)
    }))
})
