// A host that keeps the engine's reports in its own typed values: every name below must be
// exported by the package, and the calls must type-check under exactOptionalPropertyTypes.
import { Effect } from "effect"
import {
  type BackfillReport,
  Engine,
  type EngineError,
  layer,
  type ReconcileReport,
  type ThreadRecordPage,
  type VerifyReport
} from "rollout-state"

interface HostSummary {
  readonly backfill: BackfillReport
  readonly reconcile: ReconcileReport
  readonly verify: VerifyReport
  readonly page: ThreadRecordPage
}

const summarize: Effect.Effect<HostSummary, EngineError, Engine> = Effect.gen(function*() {
  const engine = yield* Engine
  const backfill = yield* engine.backfill()
  const reconcile = yield* engine.reconcile({ repair: false })
  const verify = yield* engine.verify()
  const page = yield* Effect.orDie(engine.listThreads({ limit: 10 }))
  return { backfill, reconcile, verify, page }
})

const home = process.argv[2]
if (home === undefined) throw new Error("usage: node reports.js HOME")
const summary = await Effect.runPromise(
  summarize.pipe(Effect.provide(layer({ home, database: `${home}/state.sqlite` })))
)
if (summary.verify.differences.length > 0 || summary.page.items.length === 0) {
  throw new Error(`unexpected summary: ${JSON.stringify(summary)}`)
}
console.log(`threads: ${summary.page.items.length}, verified`)
