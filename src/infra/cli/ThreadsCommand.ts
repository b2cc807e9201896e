/**
 * `threads list` and `threads show ID` (SPEC §10).
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { ThreadNotFound } from "../EngineError.js"
import type { ThreadRecord } from "../Engine.js"
import { db, home, json } from "./GlobalOptions.js"
import { output, withEngine } from "./EngineRuntime.js"
import { threadJson, threadLine } from "./ThreadJson.js"

/** @since 0.1.0 */
export const recordJson = (record: ThreadRecord) => threadJson(record.metadata, record.placement)

const limit = Options.integer("limit").pipe(Options.withDefault(25), Options.withDescription("page size (1-200)"))
const archived = Options.boolean("archived").pipe(Options.withDescription("list archived threads instead of live ones"))

const list = Command.make("list", { home, db, json, limit, archived }, (options) =>
  withEngine(options, (engine) =>
    Effect.gen(function*() {
      const records = yield* engine.listThreads({ limit: options.limit, archived: options.archived })
      const items = records.map(recordJson)
      yield* output(options.json, { items, nextCursor: null, backwardsCursor: null }, () =>
        items.length === 0 ? "no threads" : items.map(threadLine).join("\n"))
    }))).pipe(Command.withDescription("list threads, most recently updated first"))

const id = Args.text({ name: "ID" }).pipe(Args.withDescription("thread id"))

const show = Command.make("show", { home, db, json, id }, (options) =>
  withEngine(options, (engine) =>
    Effect.gen(function*() {
      const record = yield* engine.getThread(options.id)
      if (record === undefined) return yield* new ThreadNotFound({ threadId: options.id })
      const thread = recordJson(record)
      yield* output(options.json, thread, () =>
        Object.entries(thread).map(([key, value]) => `${key.padEnd(17)} ${value === null ? "-" : String(value)}`).join("\n"))
    }))).pipe(Command.withDescription("show one thread's metadata"))

/** @since 0.1.0 */
export const threadsCommand = Command.make("threads").pipe(
  Command.withDescription("read threads from the projections"),
  Command.withSubcommands([list, show])
)

