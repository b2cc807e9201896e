/**
 * Folds the files of a bulk projection on two threads: this one and a worker. Folding is most
 * of a backfill's time (decoding and skimming lines), and files fold independently, so the two
 * claim files from one shared counter and the worker posts its folds back. Small batches (a live
 * append) never start the worker: they fold here, in one synchronous call per small file.
 * @since 0.1.0
 */
import { Effect, type Either, type Scope } from "effect"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import { MessageChannel, receiveMessageOnPort, type Worker } from "node:worker_threads"
import { startWorker, stopWorker } from "../workers/WorkerThread.js"
import {
  claim,
  type FoldJob,
  type FoldPosted,
  fromWire,
  MAX_BATCH_JOBS,
  openBatch,
  POSTED_COUNTER,
  SHARED_SLOTS
} from "./FoldWire.js"
import { type FileFold, foldRolloutFile, foldRolloutFileNow } from "./RolloutFold.js"
import type { RolloutReadError } from "./RolloutIssue.js"

/** A file to fold, and how many bytes the fold will read (for the decisions below). @since 0.1.0 */
export interface SizedFoldJob extends FoldJob {
  readonly bytes: number
}

/** @since 0.1.0 @category models */
export interface FoldPool {
  /**
   * Every job's fold, in job order. `onStart` is called with a job's index as this thread
   * starts on it (the read-ahead follows it).
   */
  readonly foldAll: (
    jobs: ReadonlyArray<SizedFoldJob>,
    onStart: (index: number) => void
  ) => Effect.Effect<Array<Either.Either<FileFold, RolloutReadError>>>
  /** Folds the worker has returned so far. */
  readonly foldedByWorker: () => number
}

/** @since 0.1.0 */
export interface FoldPoolOptions {
  /** Batches reading fewer bytes fold on this thread only (default 8 MiB; `Infinity`: never start the worker). */
  readonly minBytes?: number
  /**
   * The worker starts once this many bytes have been folded by big batches (default 64 MiB): a
   * home smaller than that is done before a worker could pay for its start (a 57 MB backfill
   * took 0.60 s with it against 0.50 s without).
   */
  readonly startAfterBytes?: number
}

/**
 * Reads up to this size fold in one synchronous call (a live append's few KB); larger ones
 * through the effectful read, which gives the event loop a turn every few MB.
 */
const SMALL_READ_BYTES = 1 << 20

const DEFAULT_MIN_BYTES = 8 * 1024 * 1024
const DEFAULT_START_AFTER_BYTES = 64 * 1024 * 1024

/** How long a wait for the worker sleeps before it checks the worker is still alive. */
const WAIT_SLICE_MS = 200

/** Folds a job on this thread. */
const foldHere = (job: SizedFoldJob): Effect.Effect<Either.Either<FileFold, RolloutReadError>> =>
  // A compressed file's offsets count decompressed bytes: its size says little of the read.
  job.bytes <= SMALL_READ_BYTES && !job.path.endsWith(".zst")
    ? Effect.sync(() => foldRolloutFileNow(job.path, job.options))
    : Effect.either(foldRolloutFile(job.path, job.options))

/**
 * The worker's script: an import of the compiled module; or, when this module runs from its
 * TypeScript source (tests, benchmarks), a script that first bundles the worker with esbuild (a
 * development dependency, through tsx) into a temporary file and loads that: loader hooks in the
 * worker cost ~100 MB of RSS. The bundling (~0.5 s) runs on the worker's thread, not this one.
 */
const workerScript = (): string => {
  if (!import.meta.url.endsWith(".ts")) {
    return `import(${JSON.stringify(new URL("./FoldWorker.js", import.meta.url).href)})`
  }
  const esbuild = JSON.stringify(createRequire(import.meta.url).resolve("esbuild"))
  const entry = JSON.stringify(fileURLToPath(new URL("./FoldWorker.ts", import.meta.url)))
  return `
const { mkdtempSync, rmSync } = require("node:fs")
const { tmpdir } = require("node:os")
const { join } = require("node:path")
const dir = mkdtempSync(join(tmpdir(), "fold-worker-"))
try {
  const outfile = join(dir, "worker.cjs")
  require(${esbuild}).buildSync({
    entryPoints: [${entry}], outfile, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "silent"
  })
  require(outfile)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
`
}

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs: number
) => { readonly async: boolean; readonly value: Promise<string> | string }

/**
 * A pool whose worker starts on the first batch big enough to need it and stops with the scope.
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: FoldPoolOptions = {}): Effect.Effect<FoldPool, never, Scope.Scope> =>
  Effect.gen(function*() {
    const minBytes = options.minBytes ?? DEFAULT_MIN_BYTES
    const startAfterBytes = options.startAfterBytes ?? DEFAULT_START_AFTER_BYTES
    let bigBatchBytes = 0
    const shared = new Int32Array(new SharedArrayBuffer(SHARED_SLOTS * 4))
    let worker: { readonly thread: Worker; readonly results: MessageChannel["port1"]; broken: boolean } | undefined
    // Set after the worker failed (or where `Atomics.waitAsync` is missing): folds stay on this thread.
    let disabled = typeof (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync !== "function"
    let generation = 0
    let foldedByWorker = 0

    const stop = () =>
      Effect.suspend(() => {
        const current = worker
        worker = undefined
        if (current === undefined) return Effect.void
        current.results.close()
        return stopWorker(current.thread, { ask: false })
      })
    yield* Effect.addFinalizer(stop)

    const start = () => {
      const channel = new MessageChannel()
      const fail = () => {
        started.broken = true
        disabled = true
      }
      const thread = startWorker(workerScript(), {
        workerData: { shared: shared.buffer, results: channel.port2 },
        transferList: [channel.port2],
        onError: fail
      })
      const started = { thread, results: channel.port1, broken: false }
      thread.on("exit", fail)
      return started
    }

    const inParallel = (
      pool: NonNullable<typeof worker>,
      jobs: ReadonlyArray<SizedFoldJob>,
      onStart: (index: number) => void
    ) =>
      Effect.gen(function*() {
        const mine = ++generation
        const results: Array<Either.Either<FileFold, RolloutReadError> | undefined> = new Array<
          Either.Either<FileFold, RolloutReadError> | undefined
        >(
          jobs.length
        )
        let filled = 0
        const collect = () => {
          for (
            let message = receiveMessageOnPort(pool.results);
            message !== undefined;
            message = receiveMessageOnPort(pool.results)
          ) {
            const posted = message.message as FoldPosted
            if (posted.generation !== mine || results[posted.index] !== undefined) continue
            results[posted.index] = fromWire(posted.fold)
            filled++
            foldedByWorker++
          }
        }
        openBatch(shared, mine)
        Atomics.store(shared, POSTED_COUNTER, 0)
        pool.thread.postMessage({ generation: mine, jobs: jobs.map(({ options, path }) => ({ path, options })) })
        for (let index = claim(shared, mine); index !== -1 && index < jobs.length; index = claim(shared, mine)) {
          onStart(index)
          results[index] = yield* foldHere(jobs[index]!)
          filled++
          collect()
        }
        // Waiting for the worker's last folds: referenced meanwhile, so the process waits too.
        const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync
        yield* Effect.suspend(() => {
          pool.thread.ref()
          return Effect.whileLoop({
            while: () => filled < jobs.length && !pool.broken,
            body: () => {
              const posted = Atomics.load(shared, POSTED_COUNTER)
              collect()
              if (filled === jobs.length) return Effect.void
              const waited = waitAsync(shared, POSTED_COUNTER, posted, WAIT_SLICE_MS)
              return waited.async ? Effect.promise(() => waited.value as Promise<string>) : Effect.void
            },
            step: () => {}
          })
        }).pipe(Effect.ensuring(Effect.sync(() => pool.thread.unref())))
        collect()
        // A worker that failed took its last claimed job with it: fold what is missing here.
        for (const [index, job] of jobs.entries()) {
          if (results[index] === undefined) {
            results[index] = yield* foldHere(job)
            filled++
          }
        }
        return results as Array<Either.Either<FileFold, RolloutReadError>>
      })

    const foldAll = (jobs: ReadonlyArray<SizedFoldJob>, onStart: (index: number) => void) => {
      const bytes = jobs.reduce((sum, job) => sum + job.bytes, 0)
      if (jobs.length >= 2 && bytes >= minBytes) bigBatchBytes += bytes
      if (
        !disabled && worker === undefined && jobs.length >= 2 && bytes >= minBytes && bigBatchBytes >= startAfterBytes
      ) {
        worker = start()
      }
      if (disabled || worker === undefined || jobs.length < 2 || jobs.length > MAX_BATCH_JOBS || bytes < minBytes) {
        return Effect.forEach(jobs, (job, index) =>
          Effect.suspend(() => {
            onStart(index)
            return foldHere(job)
          }))
      }
      return inParallel(worker, jobs, onStart)
    }

    return { foldAll, foldedByWorker: () => foldedByWorker }
  })
