/**
 * Read-ahead for bulk projection. The fold reads files synchronously, one after another, so a
 * file not in the page cache stalls it for the disk. A worker thread reads the files of a plan
 * ahead of the fold (into a scratch buffer it throws away): the disk works while the fold
 * computes, and the fold's own reads come from the page cache.
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import type { Worker } from "node:worker_threads"
import { startWorker, stopWorker } from "../workers/WorkerThread.js"

/** A byte range of a file the fold is about to read. @since 0.1.0 */
export interface FileRange {
  readonly path: string
  readonly from: number
  readonly to: number
}

/** @since 0.1.0 @category models */
export interface ReadAhead {
  /**
   * Starts reading `ranges` in order, abandoning whatever earlier call is still being read.
   * Returns the function the fold calls as it starts on range `index`, so the worker skips
   * what the fold has already reached.
   */
  readonly warm: (ranges: ReadonlyArray<FileRange>) => (index: number) => void
  /** Ranges the worker has read to their end so far, over every plan. */
  readonly rangesRead: () => number
}

/** Below this many bytes a plan is read faster than the worker can be told about it. */
const MIN_BYTES = 4 * 1024 * 1024

/**
 * `progress` holds [generation, index the fold is on, ranges read]: a new generation abandons
 * the old queue, and ranges the fold has reached are skipped.
 */
const WORKER_SOURCE = `
const { closeSync, openSync, readSync } = require("node:fs")
const { parentPort, workerData } = require("node:worker_threads")
const progress = new Int32Array(workerData.progress)
const scratch = Buffer.allocUnsafe(1024 * 1024)
let queue = []
let generation = 0
let next = 0
const readRange = ({ path, from, to }) => {
  let fd
  try {
    fd = openSync(path, "r")
    for (let at = from; at < to;) {
      if (Atomics.load(progress, 0) !== generation) return
      const read = readSync(fd, scratch, 0, Math.min(scratch.length, to - at), at)
      if (read === 0) break
      at += read
    }
    Atomics.add(progress, 2, 1)
  } catch {
    // Gone or unreadable: the fold finds out and reports it.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
const pump = () => {
  while (next < queue.length && Atomics.load(progress, 0) === generation) {
    const index = next++
    if (Atomics.load(progress, 1) >= index) continue
    readRange(queue[index])
    // A turn of the event loop between files, to take a newer plan or the stop.
    return void setImmediate(pump)
  }
}
parentPort.on("message", (message) => {
  if (message === "stop") return parentPort.close()
  queue = message.ranges
  generation = message.generation
  next = 0
  pump()
})
`

/**
 * A read-ahead whose worker starts on the first plan big enough to need it and stops with the
 * scope.
 * @since 0.1.0
 */
export const make: Effect.Effect<ReadAhead, never, Scope.Scope> = Effect.gen(function*() {
  const progress = new Int32Array(new SharedArrayBuffer(12))
  let worker: Worker | undefined
  let generation = 0
  yield* Effect.addFinalizer(() => {
    if (worker === undefined) return Effect.void
    // A new generation first: the worker drops what it was reading.
    Atomics.add(progress, 0, 1)
    return stopWorker(worker, { ask: true })
  })
  const ignore = () => {}
  const warm = (ranges: ReadonlyArray<FileRange>) => {
    const bytes = ranges.reduce((sum, r) => sum + Math.max(0, r.to - r.from), 0)
    if (bytes < MIN_BYTES) return ignore
    if (worker === undefined) {
      // A failed read-ahead only means the fold reads from the disk itself.
      worker = startWorker(WORKER_SOURCE, { workerData: { progress: progress.buffer }, onError: ignore })
    }
    generation = Atomics.add(progress, 0, 1) + 1
    Atomics.store(progress, 1, 0)
    worker.postMessage({ ranges, generation })
    const mine = generation
    return (index: number) => {
      if (Atomics.load(progress, 0) === mine) Atomics.store(progress, 1, index)
    }
  }
  return { warm, rangesRead: () => Atomics.load(progress, 2) }
})
