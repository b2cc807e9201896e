/**
 * The fold pool's worker thread: claims jobs of the current batch from the shared counter,
 * folds each file with `foldRolloutFileNow`, and posts the fold back in plain data.
 * @since 0.1.0
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads"
import { claim, type FoldBatch, POSTED_COUNTER, toWire } from "./FoldWire.js"
import { foldRolloutFileNow } from "./RolloutFold.js"

const shared = new Int32Array((workerData as { readonly shared: SharedArrayBuffer }).shared)
const results = (workerData as { readonly results: MessagePort }).results

const run = (batch: FoldBatch) => {
  for (;;) {
    const index = claim(shared, batch.generation)
    if (index === -1 || index >= batch.jobs.length) return
    const job = batch.jobs[index]!
    results.postMessage({
      generation: batch.generation,
      index,
      fold: toWire(foldRolloutFileNow(job.path, job.options))
    })
    Atomics.add(shared, POSTED_COUNTER, 1)
    Atomics.notify(shared, POSTED_COUNTER)
  }
}

parentPort!.on("message", (message: FoldBatch | "stop") => {
  if (message === "stop") {
    results.close()
    parentPort!.close()
    return
  }
  run(message)
})
