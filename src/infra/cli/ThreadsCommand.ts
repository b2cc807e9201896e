/**
 * `threads list`, `threads show ID`, `threads turns ID`, and the mutations (SPEC §10).
 * @since 0.1.0
 */
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect, Either, Option } from "effect"
import { decodeCursor } from "../../domain/PageCursor.js"
import { kindsOfFilter, SOURCE_KIND_FILTERS, type SourceKindFilter } from "../../domain/SessionSource.js"
import { parseThreadId } from "../../domain/ThreadId.js"
import { formatTimestamp } from "../../domain/Timestamp.js"
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../projections/ThreadList.js"
import type { ThreadRecord } from "../engine/Engine.js"
import { agentGraphCommands } from "./AgentGraphCommands.js"
import { output, withEngine } from "./EngineRuntime.js"
import { db, home, hostId, json, limitOption, resolveHome, threadIdArg } from "./GlobalOptions.js"
import { renderTable } from "./Table.js"
import { type ThreadJson, threadJson } from "./ThreadJson.js"
import { threadMutationCommands } from "./ThreadMutationCommands.js"

/** The list as a table; its time column is the sort key. */
const threadTable = (items: ReadonlyArray<ThreadJson>, time: "createdAt" | "updatedAt") =>
  renderTable<ThreadJson>([
    {
      header: time === "createdAt" ? "created (UTC)" : "updated (UTC)",
      value: (t) => t[time].slice(0, 16).replace("T", " ")
    },
    { header: "id", value: (t) => t.id },
    { header: "source", value: (t) => t.sourceKind },
    { header: "model", value: (t) => t.model ?? "-" },
    { header: "tokens", value: (t) => compact(t.tokensUsed), align: "right" },
    {
      header: "title",
      value: (t) => `${t.archived ? "[archived] " : ""}${t.name ?? (t.title || t.firstUserMessage || "(no message)")}`,
      flexible: true
    }
  ], items)

const compact = (n: number): string =>
  n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n)

/** `threads show` for people: fields in groups; a field not named here lands under "other". */
const SHOW_GROUPS: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["thread", [
    "id",
    "name",
    "title",
    "firstUserMessage",
    "createdAt",
    "updatedAt",
    "archived",
    "archivedAt",
    "rolloutPath"
  ]],
  ["origin", ["source", "threadSource", "parentThreadId", "agentNickname", "agentRole", "agentPath", "cliVersion"]],
  ["model", ["modelProvider", "model", "reasoningEffort", "latestModel", "latestReasoningEffort", "tokensUsed"]],
  ["workspace", ["cwd", "sandboxPolicy", "approvalMode", "gitSha", "gitBranch", "gitOriginUrl"]],
  ["tools", ["dynamicTools"]]
]

const showText = (fields: Record<string, unknown>): string => {
  const named = new Set(SHOW_GROUPS.flatMap(([, keys]) => keys))
  const groups = [...SHOW_GROUPS, ["other", Object.keys(fields).filter((k) => !named.has(k))] as const]
  const show = (value: unknown) =>
    value === null || value === undefined
      ? "-"
      : typeof value === "string"
      ? value
      : JSON.stringify(value)
  return groups.filter(([, keys]) => keys.some((k) => k in fields)).map(([group, keys]) =>
    [group, ...keys.filter((k) => k in fields).map((k) => `  ${k.padEnd(22)} ${show(fields[k]).replace(/\s+/g, " ")}`)]
      .join("\n")
  ).join("\n\n")
}

/** @since 0.1.0 */
export const recordJson = (record: ThreadRecord) => threadJson(record.metadata, record.placement)

const limit = limitOption({ default: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE, what: "page size" })
/** @since 0.1.0 */
export const archived = Options.choice("archived", ["none", "only", "all"]).pipe(
  Options.withDescription("live threads only (none, the default), archived ones only, or all"),
  Options.withDefault("none" as const)
)
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
/** @since 0.1.0 */
export const cwd = Options.text("cwd").pipe(
  Options.withDescription("working directory (compared normalised); several: any of them"),
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
/** @since 0.1.0 */
export const sourceKind = Options.text("source-kind").pipe(
  Options.withAlias("source"),
  Options.withDescription(`source kind: ${SOURCE_KIND_FILTERS.join(", ")}`),
  Options.repeated,
  Options.mapEffect(checked("--source-kind", (values: ReadonlyArray<string>) =>
    Either.mapBoth(kindsOfFilter(values), {
      onLeft: (error) => error.message,
      onRight: () => values as ReadonlyArray<SourceKindFilter>
    })))
)
/** @since 0.1.0 */
export const provider = Options.text("provider").pipe(Options.withDescription("model provider"), Options.repeated)

const list = Command.make(
  "list",
  { home, db, hostId, json, limit, archived, sort, direction, cursor, cwd, parent, search, sourceKind, provider },
  (options) =>
    Effect.gen(function*() {
      // A bad cursor is bad input: refused before anything is opened.
      if (Option.isSome(options.cursor)) {
        yield* decodeCursor(options.sort === "created" ? "created_at" : "updated_at", options.cursor.value)
      }
      return yield* withEngine(options, (engine) =>
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
          if (options.json) {
            return yield* output(
              true,
              {
                items,
                nextCursor: page.nextCursor,
                backwardsCursor: page.backwardsCursor,
                ...(page.backfill === undefined ? {} : { backfill: page.backfill })
              },
              () => ""
            )
          }
          const filtered = options.cwd.length > 0 || Option.isSome(options.parent) || Option.isSome(options.search) ||
            Option.isSome(options.cursor) || options.sourceKind.length > 0 || options.provider.length > 0
          // Only a home that cannot be written is listed before its backfill ends (EngineSession.ts).
          if (page.backfill !== undefined) {
            yield* Console.error(
              `the home's backfill is ${page.backfill.status} and the database cannot be written here: listing what is projected so far`
            )
          }
          if (items.length === 0) {
            return yield* Console.log(
              filtered
                ? "no threads match"
                : options.archived === "only"
                ? "no archived threads"
                : `no threads: ${
                  resolveHome(options.home)
                } holds no rollouts under sessions/ or archived_sessions/ (\`rollout-state watch\` projects them as a host writes them)`
            )
          }
          yield* Console.log(threadTable(items, options.sort === "created" ? "createdAt" : "updatedAt"))
          if (page.nextCursor !== null) yield* Console.log(`next page: --cursor ${page.nextCursor}`)
        }), "read")
    })
).pipe(Command.withDescription("list threads: filters, sort, direction, keyset cursors"))

const id = threadIdArg

const show = Command.make(
  "show",
  { home, db, hostId, json, id },
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
          showText({
            ...thread,
            dynamicTools: detail.dynamicTools.length === 0
              ? null
              : detail.dynamicTools.map((t) =>
                `${t.namespace === null ? "" : `${t.namespace}.`}${t.name}${t.hidden ? " (hidden)" : ""}`
              ).join(", ")
          }))
      }), "read")
).pipe(Command.withDescription("show one thread: metadata, dynamic tools, latest model and effort"))

const turns = Command.make(
  "turns",
  { home, db, hostId, json, id, limit, direction, cursor },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const page = yield* engine.listTurns(options.id, {
          limit: options.limit,
          direction: options.direction,
          ...Option.match(options.cursor, { onNone: () => ({}), onSome: (value) => ({ cursor: value }) })
        })
        // Timestamps as in thread JSON: ISO-8601 UTC (SPEC §10).
        const items = page.items.map((t) => ({
          ...t,
          startedAt: t.startedAt === null ? null : formatTimestamp(t.startedAt)
        }))
        yield* output(options.json, { ...page, items }, () =>
          [
            items.length === 0 ? "no turns" : renderTable([
              { header: "#", value: (t) => String(t.index), align: "right" },
              {
                header: "started",
                value: (t) => t.startedAt === null ? "-" : t.startedAt.slice(0, 19).replace("T", " ")
              },
              { header: "model", value: (t) => t.model ?? "-" },
              { header: "effort", value: (t) => t.reasoningEffort ?? "-" },
              { header: "tokens", value: (t) => String(t.tokensUsed), align: "right" },
              { header: "message", value: (t) => t.userMessage ?? "", flexible: true }
            ], items),
            ...(page.nextCursor === null ? [] : [`next page: --cursor ${page.nextCursor}`])
          ].join("\n"))
      }), "read")
).pipe(Command.withDescription("list a thread's turns, newest first by default"))

/** @since 0.1.0 */
export const threadsCommand = Command.make("threads").pipe(
  Command.withDescription("read and change threads"),
  Command.withSubcommands([list, show, turns, ...threadMutationCommands, ...agentGraphCommands])
)
