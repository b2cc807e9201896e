/**
 * WAL checkpoints off the writer's thread. SQLite's automatic checkpoint runs inside the commit
 * that crosses the WAL threshold, so one append in a few hundred paid for copying the WAL into
 * the database file and syncing it (measured: the write phase's p99 went from 4.4 to 1.8 ms
 * without it). A worker thread with its own connection runs a PASSIVE checkpoint on an interval
 * instead: it never waits for the writer, and the writer never waits for it.
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { createRequire } from "node:module"
import { startWorker, stopWorker } from "../workers/WorkerThread.js"

/**
 * The worker, as source (an `eval` worker needs no file beside the compiled or the `tsx` module).
 * The driver is the parent's own `better-sqlite3`, resolved by the parent.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads")
const Sqlite = require(workerData.driver)
const db = new Sqlite(workerData.file, { fileMustExist: true, timeout: 0 })
db.pragma("synchronous = NORMAL")
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)")
  } catch {
    // Another connection is checkpointing (SQLITE_BUSY): the next turn catches up.
  }
}
const timer = setInterval(checkpoint, workerData.intervalMs)
parentPort.on("message", (message) => {
  if (message !== "stop") return
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

/**
 * Pages the writer's WAL may hold before its own commit checkpoints, while the worker keeps it far
 * below: a bound on the WAL if the worker falls behind or could not start (SQLite's default: 1000).
 * @since 0.1.0
 */
export const WRITER_AUTOCHECKPOINT_PAGES = 10_000

/** @since 0.1.0 */
export interface CheckpointerOptions {
  /** The database file, already in WAL mode. */
  readonly file: string
  readonly intervalMs: number
  /** Called if the worker fails (it then checkpoints no more): the writer should checkpoint again. */
  readonly onFailure: (cause: unknown) => void
}

/**
 * Starts the checkpointing worker for the scope's lifetime. Closing the scope stops it and waits
 * for its connection to close, so the writer's connection, closed after, is the last one and
 * SQLite checkpoints and removes the WAL as usual.
 * @since 0.1.0
 */
export const start = (options: CheckpointerOptions): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() =>
      startWorker(WORKER_SOURCE, {
        workerData: {
          driver: createRequire(import.meta.url).resolve("better-sqlite3"),
          file: options.file,
          intervalMs: options.intervalMs
        },
        // Its own small heap: it holds one connection and no JavaScript data.
        resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
        onError: options.onFailure
      })
    ),
    (worker) => stopWorker(worker, { ask: true })
  ).pipe(Effect.asVoid)
