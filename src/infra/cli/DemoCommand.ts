/**
 * `rollout-state demo`: writes a realistic sample home to a temporary folder, backfills it
 * and lists its threads — the engine end to end, with nothing of yours touched.
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Clock, Console, Effect, Option } from "effect"
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { batchProgress, withEngine } from "./EngineRuntime.js"
import { json } from "./GlobalOptions.js"
import { threadLine } from "./ThreadJson.js"
import { recordJson } from "./ThreadsCommand.js"

const dir = Options.text("dir").pipe(
  Options.withDescription("where to write the sample home (default: a new temporary folder)"),
  Options.optional
)

/** @since 0.1.0 */
export const demoCommand = Command.make("demo", { json, dir }, (options) =>
  Effect.gen(function*() {
    const root = Option.isSome(options.dir)
      ? options.dir.value
      : yield* Effect.promise(() => mkdtemp(join(tmpdir(), "rollout-state-demo-")))
    const home = join(root, "home")
    const now = yield* Clock.currentTimeMillis
    const files = yield* Effect.promise(() => import("./DemoHome.js").then((demo) => demo.writeDemoHome(home, now)))
    const engineOptions = { home: Option.some(home), db: Option.none() }
    yield* withEngine(engineOptions, (engine) =>
      Effect.gen(function*() {
        const progress = batchProgress("backfill", options.json)
        const report = yield* engine.backfill({ onProgress: progress.onProgress })
        progress.finish()
        const live = (yield* engine.listThreads({ limit: 50, sortKey: "updated_at" })).items
        const archived = (yield* engine.listThreads({ limit: 50, sortKey: "updated_at", archived: true })).items
        if (options.json) {
          yield* Console.log(JSON.stringify(
            {
              home,
              backfill: {
                scanned: report.scanned,
                upserted: report.upserted,
                failed: report.failed,
                parseErrors: report.parseErrors,
                status: report.status
              },
              items: [...live, ...archived].map(recordJson)
            },
            null,
            2
          ))
          return
        }
        yield* Console.log(`wrote ${files} rollout files to ${home}`)
        for (const issue of report.issues) yield* Console.log(`  reported: ${issue}`)
        yield* Console.log(
          `backfill ${report.status}: ${report.upserted} threads projected, ${report.parseErrors} parse errors\n`
        )
        for (const record of [...live, ...archived]) yield* Console.log(threadLine(recordJson(record)))
        yield* Console.log(
          `\nexplore: rollout-state threads list --home ${home}   |   rollout-state verify --home ${home}`
        )
      }), "replay")
  })).pipe(Command.withDescription("write a sample home to a temporary folder, backfill it and list its threads"))
