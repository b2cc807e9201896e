/**
 * `backfill`, `rebuild`, `reconcile [--repair]`, `verify` (SPEC §10).
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import type { BackfillReport, BatchProgress } from "../engine/replay/Report.js"
import { batchProgress, exitWithDifferences, output, withEngine } from "./EngineRuntime.js"
import { db, home, hostId, json } from "./GlobalOptions.js"
import * as Signals from "./Signals.js"

const reportIssues = (report: BackfillReport) =>
  Effect.gen(function*() {
    for (const skipped of report.skippedFiles) yield* Console.error(`skipped ${skipped.path}: ${skipped.reason}`)
    for (const failure of report.failures) yield* Console.error(`failed ${failure.path}: ${failure.reason}`)
    for (const issue of report.issues) yield* Console.error(issue)
    if (report.problemsOmitted > 0) yield* Console.error(`(${report.problemsOmitted} more problems not listed)`)
  })

const count = (n: number) => n.toLocaleString("en-US")

/** How far a run got at its last safe point, in words. */
const after = (done: BatchProgress | undefined, verb = "") =>
  done === undefined
    ? "before its first batch was done"
    : `after ${verb}${count(done.scanned)} of ${count(done.total)} files`

/**
 * When a signal interrupts `effect`, says on stderr what was done (and prints the partial
 * report with `--json`); the exit code is the signal's (see main.ts).
 */
const onSignal = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  progress: ReturnType<typeof batchProgress>,
  json: boolean,
  describe: (signal: string, done: BatchProgress | undefined) => { readonly text: string; readonly partial: object }
) =>
  Effect.onInterrupt(effect, () =>
    Effect.suspend(() => {
      progress.finish()
      Signals.markReported()
      const { partial, text } = describe(Signals.receivedSignal() ?? "an interruption", progress.last())
      return Effect.zipRight(
        Console.error(text),
        json ? Console.log(JSON.stringify(partial, null, 2)) : Effect.void
      )
    }))

const problemsOf = (done: BatchProgress | undefined) => ({
  problems: done?.problems ?? [],
  problemsOmitted: done?.problemsOmitted ?? 0
})

/** The `--json` shape of backfill and rebuild (SPEC §10), interrupted or not. */
const runJson = (r: BatchProgress | undefined, status: string) => ({
  scanned: r?.scanned ?? 0,
  upserted: r?.upserted ?? 0,
  failed: r?.failed ?? 0,
  parseErrors: r?.parseErrors ?? 0,
  status,
  ...problemsOf(r)
})

const summary = (verb: string, r: BackfillReport, seconds: number) =>
  `${verb} ${r.status}: ${r.scanned} files scanned, ${r.upserted} projected, ${r.unchanged} unchanged, ${r.failed} failed, ${r.parseErrors} parse errors in ${
    seconds.toFixed(1)
  } s`

/** @since 0.1.0 */
export const backfillCommand = Command.make(
  "backfill",
  { home, db, hostId, json },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const progress = batchProgress("backfill", options.json)
        const started = performance.now()
        const report = yield* onSignal(
          engine.backfill({ onProgress: progress.onProgress, restart: true }),
          progress,
          options.json,
          (signal, done) => ({
            text: `backfill interrupted by ${signal} ${after(done)}; the next backfill resumes from the checkpoint`,
            partial: runJson(done, "interrupted")
          })
        )
        progress.finish()
        if (!options.json) yield* reportIssues(report)
        yield* output(
          options.json,
          { ...runJson(report, report.status), skippedFiles: report.skippedFiles },
          () => summary("backfill", report, (performance.now() - started) / 1000)
        )
      }), "replay")
).pipe(
  Command.withDescription("project every rollout of the home, resumably (files unchanged since projected are skipped)")
)

/** @since 0.1.0 */
export const rebuildCommand = Command.make(
  "rebuild",
  { home, db, hostId, json },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const progress = batchProgress("rebuild", options.json)
        const started = performance.now()
        const report = yield* onSignal(
          engine.rebuild({ onProgress: progress.onProgress }),
          progress,
          options.json,
          (signal, done) => ({
            text: `rebuild interrupted by ${signal} ${
              after(done)
            }; the projections are incomplete until rebuild runs again`,
            partial: runJson(done, "interrupted")
          })
        )
        progress.finish()
        if (!options.json) yield* reportIssues(report)
        yield* output(
          options.json,
          { ...runJson(report, report.status), skippedFiles: report.skippedFiles },
          () => summary("rebuild", report, (performance.now() - started) / 1000)
        )
      }), "replay")
).pipe(Command.withDescription("drop the projections and replay every rollout (operational state is kept)"))

const repair = Options.boolean("repair").pipe(Options.withDescription("make the database equal the log"))

/** @since 0.1.0 */
export const reconcileCommand = Command.make(
  "reconcile",
  { home, db, hostId, json, repair },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const progress = batchProgress("reconcile", options.json)
        const report = yield* onSignal(
          engine.reconcile({ repair: options.repair, onProgress: progress.onProgress }),
          progress,
          options.json,
          (signal, done) => ({
            text: `reconcile interrupted by ${signal} ${after(done, "checking ")}; no differences reported${
              options.repair ? "; a repair may be partly done: run reconcile --repair again" : ""
            }`,
            partial: {
              status: "interrupted",
              scanned: done?.scanned ?? 0,
              total: done?.total ?? 0,
              ...problemsOf(done)
            }
          })
        )
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
          {
            missing: report.missing,
            orphaned: report.orphaned,
            drifted: report.drifted,
            repaired: report.repaired,
            problems: report.problems,
            problemsOmitted: report.problemsOmitted
          },
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
  { home, db, hostId, json },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const progress = batchProgress("verify", options.json)
        const report = yield* onSignal(
          engine.verify({ onProgress: progress.onProgress }),
          progress,
          options.json,
          (signal, done) => ({
            text: `verify interrupted by ${signal} ${after(done, "rebuilding ")}; nothing was verified`,
            partial: { ok: false, status: "interrupted", tables: [], differences: [], ...problemsOf(done) }
          })
        )
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
