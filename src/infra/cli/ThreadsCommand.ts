/**
 * `threads list`, `threads show ID`, `threads turns ID`, and the mutations (SPEC §10).
 * @since 0.1.0
 */
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import { kindsOfFilter, SOURCE_KIND_FILTERS, type SourceKindFilter } from "../../domain/SessionSource.js"
import { parseThreadId } from "../../domain/ThreadId.js"
import type { ThreadRecord } from "../engine/Engine.js"
import { output, withEngine } from "./EngineRuntime.js"
import { db, home, json, threadIdArg } from "./GlobalOptions.js"
import { threadJson, threadLine } from "./ThreadJson.js"
import { threadMutationCommands } from "./ThreadMutationCommands.js"

/** @since 0.1.0 */
export const recordJson = (record: ThreadRecord) => threadJson(record.metadata, record.placement)

const limit = Options.integer("limit").pipe(Options.withDefault(25), Options.withDescription("page size (1-200)"))
const archived = Options.choice("archived", ["none", "only", "all"]).pipe(
  Options.withDescription("live threads only (none, the default), archived ones only, or all"),
  Options.withDefault("none" as const)
)
const sort = Options.choice("sort", ["created", "updated"]).pipe(Options.withDefault("created" as const))
const direction = Options.choice("direction", ["desc", "asc"]).pipe(Options.withDefault("desc" as const))
const cursor = Options.text("cursor").pipe(
  Options.withDescription("continue from a nextCursor or backwardsCursor"),
  Options.optional
)
const cwd = Options.text("cwd").pipe(
  Options.withDescription("working directory (compared normalised); repeatable: any of them"),
  Options.repeated
)
/** A bad value is a usage error (exit 2) raised while parsing, naming the option and the value. */
const checked = <I, A>(option: string, check: (value: I) => Either.Either<A, string>) => (value: I) =>
  Either.match(check(value), {
    onLeft: (reason) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(`${option}: ${reason}`))),
    onRight: (valid) => Effect.succeed(valid)
  })
const parent = Options.text("parent").pipe(
  Options.withDescription("threads spawned by this thread id"),
  Options.mapEffect(checked("--parent", parseThreadId)),
  Options.optional
)
const search = Options.text("search").pipe(
  Options.withDescription("substring of the title or first message"),
  Options.optional
)
const sourceKind = Options.text("source-kind").pipe(
  Options.withAlias("source"),
  Options.withDescription(`source kind, repeatable: ${SOURCE_KIND_FILTERS.join(", ")}`),
  Options.repeated,
  Options.mapEffect(checked("--source-kind", (values: ReadonlyArray<string>) =>
    Either.mapBoth(kindsOfFilter(values), {
      onLeft: (error) => error.message,
      onRight: () => values as ReadonlyArray<SourceKindFilter>
    })))
)
const provider = Options.text("provider").pipe(Options.withDescription("model provider; repeatable"), Options.repeated)

const list = Command.make(
  "list",
  { home, db, json, limit, archived, sort, direction, cursor, cwd, parent, search, sourceKind, provider },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const page = yield* engine.listThreads({
          limit: options.limit,
          archived: options.archived,
          sortKey: options.sort === "created" ? "created_at" : "updated_at",
          direction: options.direction,
          ...(options.sourceKind.length === 0 ? {} : { sourceKinds: options.sourceKind }),
          modelProviders: options.provider,
          ...Option.match(options.cursor, { onNone: () => ({}), onSome: (value) => ({ cursor: value }) }),
          ...(options.cwd.length === 0 ? {} : { cwd: options.cwd }),
          ...Option.match(options.parent, { onNone: () => ({}), onSome: (value) => ({ parentThreadId: value }) }),
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
