/**
 * `backfill`, `rebuild`, `reconcile [--repair]`, `verify` (SPEC §10).
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import type { BackfillReport } from "../Backfill.js"
import { batchProgress, exitWithDifferences, output, withEngine } from "./EngineRuntime.js"
import { db, home, json } from "./GlobalOptions.js"

const reportIssues = (report: BackfillReport) =>
  Effect.gen(function*() {
    for (const skipped of report.skippedFiles) yield* Console.error(`skipped ${skipped.path}: ${skipped.reason}`)
    for (const failure of report.failures) yield* Console.error(`failed ${failure.path}: ${failure.reason}`)
    for (const issue of report.issues) yield* Console.error(issue)
  })

const summary = (verb: string, r: BackfillReport, seconds: number) =>
  `${verb} ${r.status}: ${r.scanned} files scanned, ${r.upserted} projected, ${r.unchanged} unchanged, ${r.failed} failed, ${r.parseErrors} parse errors in ${
    seconds.toFixed(1)
  } s`

/** @since 0.1.0 */
export const backfillCommand = Command.make(
  "backfill",
  { home, db, json },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const progress = batchProgress("backfill", options.json)
        const started = performance.now()
        const report = yield* engine.backfill({ onProgress: progress.onProgress, restart: true })
        progress.finish()
        if (!options.json) yield* reportIssues(report)
        yield* output(
          options.json,
          {
            scanned: report.scanned,
            upserted: report.upserted,
            failed: report.failed,
            parseErrors: report.parseErrors,
            status: report.status
          },
          () => summary("backfill", report, (performance.now() - started) / 1000)
        )
      }))
).pipe(
  Command.withDescription("project every rollout of the home, resumably (files unchanged since projected are skipped)")
)

/** @since 0.1.0 */
export const rebuildCommand = Command.make(
  "rebuild",
  { home, db, json },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const progress = batchProgress("rebuild", options.json)
        const started = performance.now()
        const report = yield* engine.rebuild({ onProgress: progress.onProgress })
        progress.finish()
        if (!options.json) yield* reportIssues(report)
        yield* output(
          options.json,
          {
            scanned: report.scanned,
            upserted: report.upserted,
            failed: report.failed,
            parseErrors: report.parseErrors,
            status: report.status
          },
          () => summary("rebuild", report, (performance.now() - started) / 1000)
        )
      }))
).pipe(Command.withDescription("drop the projections and replay every rollout (operational state is kept)"))

const repair = Options.boolean("repair").pipe(Options.withDescription("make the database equal the log"))

/** @since 0.1.0 */
export const reconcileCommand = Command.make(
  "reconcile",
  { home, db, json, repair },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const progress = batchProgress("reconcile", options.json)
        const report = yield* engine.reconcile({ repair: options.repair, onProgress: progress.onProgress })
        progress.finish()
        const differences = report.missing.length + report.orphaned.length + report.drifted.length
        if (!options.json) {
          for (const id of report.missing) yield* Console.log(`missing   ${id}`)
          for (const id of report.orphaned) yield* Console.log(`orphaned  ${id}`)
          for (const d of report.drifted) yield* Console.log(`drifted   ${d.id}: ${d.fields.join(", ")}`)
          for (const f of report.failed) yield* Console.error(`failed ${f.path}: ${f.reason}`)
        }
        yield* output(
          options.json,
          { missing: report.missing, orphaned: report.orphaned, drifted: report.drifted, repaired: report.repaired },
          () =>
            `reconcile: ${report.scanned} files, ${report.missing.length} missing, ${report.orphaned.length} orphaned, ${report.drifted.length} drifted${
              options.repair && differences > 0 ? " — repaired" : ""
            }`
        )
        if (differences > 0 && !options.repair) yield* exitWithDifferences
      }))
).pipe(Command.withDescription("compare the projections with the log; --repair makes them equal"))

/** @since 0.1.0 */
export const verifyCommand = Command.make(
  "verify",
  { home, db, json },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const progress = batchProgress("verify", options.json)
        const report = yield* engine.verify({ onProgress: progress.onProgress })
        progress.finish()
        if (!options.json) {
          for (const d of report.differences) {
            yield* Console.log(
              `${d.table} ${d.key} ${d.column}: live ${JSON.stringify(d.live)} ≠ rebuilt ${JSON.stringify(d.rebuilt)}`
            )
          }
        }
        yield* output(options.json, report, () =>
          `verify ${report.ok ? "ok" : "FAILED"}: ${
            report.tables.map((t) => `${t.table} ${t.liveRows}/${t.rebuiltRows}`).join(", ")
          }${report.ok ? "" : `; ${report.differences.length} differences`}`)
        if (!report.ok) {
          yield* exitWithDifferences
        }
      }), "read")
).pipe(Command.withDescription("rebuild into a temporary database and compare every projection row by row"))
