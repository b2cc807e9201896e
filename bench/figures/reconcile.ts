/**
 * Reconcile (fold every file, compare with its rows) and verify (rebuild into a temporary
 * database, compare every table) of a projected home of 10,000 threads, each against a
 * rebuild of the same home in the same run. Repetitions rotate the order of the three.
 */
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Figure, log, median, row, threadsHome, timed, withEngine } from "../harness.js"
import { rolloutFiles } from "../homeFiles.js"

export const figure: Figure = {
  id: "reconcile",
  run: async (sizes) => {
    const home = await threadsHome(sizes.threads, sizes.seed)
    const threads = rolloutFiles(home).length
    const dir = mkdtempSync(join(tmpdir(), "bench-reconcile-"))
    const reps = Math.max(2, sizes.reps)
    const times = { rebuild: [] as Array<number>, reconcile: [] as Array<number>, verify: [] as Array<number> }
    try {
      await withEngine(home, join(dir, "state.sqlite"), (engine) =>
        Effect.gen(function*() {
          const steps = {
            rebuild: Effect.flatMap(engine.rebuild(), (report) =>
              report.upserted === threads
                ? Effect.void
                : Effect.dieMessage(`rebuild projected ${report.upserted} of ${threads}`)),
            reconcile: Effect.flatMap(engine.reconcile({ repair: false }), (report) =>
              report.drifted.length + report.missing.length + report.orphaned.length === 0
                ? Effect.void
                : Effect.dieMessage(`reconcile found differences: ${JSON.stringify(report).slice(0, 300)}`)),
            verify: Effect.flatMap(engine.verify(), (report) =>
              report.ok
                ? Effect.void
                : Effect.dieMessage(`verify found differences: ${JSON.stringify(report.differences.slice(0, 3))}`))
          }
          // The first rebuild projects the home; only later ones are timed.
          yield* steps.rebuild
          const order = ["rebuild", "reconcile", "verify"] as const
          for (let rep = 0; rep < reps; rep++) {
            for (let k = 0; k < order.length; k++) {
              const step = order[(k + rep) % order.length]!
              const [took] = yield* timed(steps[step])
              times[step].push(took)
            }
          }
        }))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    const rebuild = median(times.rebuild)
    const show = (xs: Array<number>) => xs.map((s) => s.toFixed(2)).join(" ")
    log(
      `reconcile: ${threads} threads; rebuild ${show(times.rebuild)} s; reconcile ${show(times.reconcile)} s; verify ${
        show(times.verify)
      } s`
    )
    return (["reconcile", "verify"] as const).map((step) =>
      row({
        figure: `${step}, ${threads} threads`,
        value: median(times[step]),
        unit: "s",
        baseline: rebuild,
        ratio: median(times[step]) / rebuild,
        ...(step === "reconcile"
          ? { note: `baseline: rebuild of the same home; median of ${reps}, order rotated` }
          : {})
      })
    )
  }
}
