/**
 * `threads list`, `threads show ID`, `threads turns ID`, and the mutations (SPEC §10).
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../projections/ThreadList.js"
import type { ThreadRecord } from "../engine/Engine.js"
import { output, withEngine } from "./EngineRuntime.js"
import { db, home, json, limitOption, threadIdArg } from "./GlobalOptions.js"
import { threadJson, threadLine } from "./ThreadJson.js"
import { threadMutationCommands } from "./ThreadMutationCommands.js"

/** @since 0.1.0 */
export const recordJson = (record: ThreadRecord) => threadJson(record.metadata, record.placement)

const limit = limitOption({ default: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE, what: "page size" })
const archived = Options.boolean("archived").pipe(Options.withDescription("list archived threads instead of live ones"))
const sort = Options.choice("sort", ["created", "updated"]).pipe(
  Options.withDescription("sort key: creation or last update time"),
  Options.withDefault("created" as const)
)
const direction = Options.choice("direction", ["desc", "asc"]).pipe(
  Options.withDescription("newest first (desc) or oldest first (asc)"),
  Options.withDefault("desc" as const)
)
const cursor = Options.text("cursor").pipe(
  Options.withDescription("continue from a nextCursor or backwardsCursor"),
  Options.optional
)
const cwd = Options.text("cwd").pipe(Options.withDescription("exact working directory"), Options.optional)
const search = Options.text("search").pipe(
  Options.withDescription("substring of the title or first message"),
  Options.optional
)
const source = Options.text("source").pipe(
  Options.withDescription("source kind (cli, vscode, exec, mcp, subagent, …)"),
  Options.repeated
)
const provider = Options.text("provider").pipe(Options.withDescription("model provider"), Options.repeated)

const list = Command.make(
  "list",
  { home, db, json, limit, archived, sort, direction, cursor, cwd, search, source, provider },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const page = yield* engine.listThreads({
          limit: options.limit,
          archived: options.archived,
          sortKey: options.sort === "created" ? "created_at" : "updated_at",
          direction: options.direction,
          sourceKinds: options.source,
          modelProviders: options.provider,
          ...Option.match(options.cursor, { onNone: () => ({}), onSome: (value) => ({ cursor: value }) }),
          ...Option.match(options.cwd, { onNone: () => ({}), onSome: (value) => ({ cwd: value }) }),
          ...Option.match(options.search, { onNone: () => ({}), onSome: (value) => ({ search: value }) })
        })
        const items = page.items.map(recordJson)
        yield* output(options.json, { items, nextCursor: page.nextCursor, backwardsCursor: page.backwardsCursor }, () =>
          [
            ...(items.length === 0 ? ["no threads"] : items.map(threadLine)),
            ...(page.nextCursor === null ? [] : [`next page: --cursor ${page.nextCursor}`])
          ].join("\n"))
      }), "read")
).pipe(Command.withDescription("list threads: filters, sort, direction, keyset cursors"))

const id = threadIdArg

const show = Command.make(
  "show",
  { home, db, json, id },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const detail = yield* engine.getThreadDetail(options.id)
        const thread = {
          ...threadJson(detail.metadata, detail.placement),
          latestModel: detail.latestModel,
          latestReasoningEffort: detail.latestReasoningEffort,
          dynamicTools: detail.dynamicTools
        }
        yield* output(options.json, thread, () =>
          [
            ...Object.entries(thread).flatMap(([key, value]) =>
              key === "dynamicTools"
                ? []
                : [
                  `${key.padEnd(21)} ${
                    value === null ? "-" : typeof value === "object" ? JSON.stringify(value) : String(value)
                  }`
                ]
            ),
            `${"dynamicTools".padEnd(21)} ${
              detail.dynamicTools.length === 0
                ? "-"
                : detail.dynamicTools.map((t) =>
                  `${t.namespace === null ? "" : `${t.namespace}.`}${t.name}${t.hidden ? " (hidden)" : ""}`
                ).join(", ")
            }`
          ].join("\n"))
      }), "read")
).pipe(Command.withDescription("show one thread: metadata, dynamic tools, latest model and effort"))

const turns = Command.make(
  "turns",
  { home, db, json, id, limit, direction, cursor },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const page = yield* engine.listTurns(options.id, {
          limit: options.limit,
          direction: options.direction,
          ...Option.match(options.cursor, { onNone: () => ({}), onSome: (value) => ({ cursor: value }) })
        })
        yield* output(options.json, page, () =>
          [
            ...(page.items.length === 0 ?
              ["no turns"] :
              page.items.map((t) =>
                `#${String(t.index).padEnd(4)} ${
                  t.startedAt === null
                    ? "-".padEnd(19)
                    : new Date(t.startedAt).toISOString().slice(0, 19).replace("T", " ")
                }  ${(t.model ?? "-").padEnd(16)} ${(t.reasoningEffort ?? "-").padEnd(7)} ${
                  String(t.tokensUsed).padStart(9)
                } tok  ${(t.userMessage ?? "").replace(/\s+/g, " ").slice(0, 60)}`
              )),
            ...(page.nextCursor === null ? [] : [`next page: --cursor ${page.nextCursor}`])
          ].join("\n"))
      }), "read")
).pipe(Command.withDescription("list a thread's turns, newest first by default"))

/** @since 0.1.0 */
export const threadsCommand = Command.make("threads").pipe(
  Command.withDescription("read and change threads"),
  Command.withSubcommands([list, show, turns, ...threadMutationCommands])
)
