/**
 * Starting and stopping the engine's background worker threads (fold pool, read-ahead, WAL
 * checkpointer): `eval` workers (no file beside the compiled or the `tsx` module is needed)
 * that never keep the process alive, stopped and waited for when their scope closes.
 * @since 0.1.0
 */
import { Effect } from "effect"
import { Worker, type WorkerOptions } from "node:worker_threads"

/**
 * Starts `source` as a worker that does not keep the process alive; `onError` sees its failures
 * (a worker that fails only costs its caller the work it would have done).
 * @since 0.1.0
 */
export const startWorker = (
  source: string,
  options: Omit<WorkerOptions, "eval"> & { readonly onError: (error: Error) => void }
): Worker => {
  const { onError, ...workerOptions } = options
  const worker = new Worker(source, { ...workerOptions, eval: true })
  worker.on("error", onError)
  worker.unref()
  return worker
}

/**
 * Stops the worker and waits for it to exit. `ask`: posts `"stop"` so it can finish cleanly
 * (close a connection), and terminates it if it has not exited after `timeoutMs`; otherwise
 * it is terminated at once.
 * @since 0.1.0
 */
export const stopWorker = (
  worker: Worker,
  options: { readonly ask: boolean; readonly timeoutMs?: number }
): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (worker.threadId === -1) return resume(Effect.void)
    // Referenced again, or an otherwise idle process exits before the worker has stopped.
    worker.ref()
    if (!options.ask) {
      worker.terminate().then(() => resume(Effect.void), () => resume(Effect.void))
      return
    }
    const timeout = setTimeout(() => void worker.terminate(), options.timeoutMs ?? 5000)
    worker.once("exit", () => {
      clearTimeout(timeout)
      resume(Effect.void)
    })
    worker.postMessage("stop")
  })
