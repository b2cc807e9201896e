/**
 * `rollout-state search QUERY`: full-text search over what threads said, best first, with a
 * snippet per thread (its matched words highlighted on a terminal).
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import type { Snippet } from "../../domain/SearchQuery.js"
import type { SearchRecordPage } from "../engine/Engine.js"
import { output, withEngine } from "./EngineRuntime.js"
import { db, home, hostId, json, limitOption } from "./GlobalOptions.js"
import { colorAllowed } from "./Table.js"
import { archived, cwd, provider, recordJson, sourceKind } from "./ThreadsCommand.js"

const SEARCH_PAGE_SIZE = 10

const query = Args.text({ name: "QUERY" }).pipe(
  Args.withDescription("words (all must match), \"a phrase\", prefix*, AND / OR / NOT, parentheses")
)
const limit = limitOption({ default: SEARCH_PAGE_SIZE, max: 200, what: "threads per page" })
const cursor = Options.text("cursor").pipe(
  Options.withDescription("continue from a nextCursor"),
  Options.optional
)

const BOLD_YELLOW = "\x1b[1;33m"
const RESET = "\x1b[0m"

/** The snippet on one line, its matches in bold yellow when `color`, else between » and «. */
export const renderSnippet = (snippet: Snippet, color: boolean): string => {
  const [open, close] = color ? [BOLD_YELLOW, RESET] : ["»", "«"]
  let text = ""
  let at = 0
  for (const [start, end] of snippet.highlights) {
    text += snippet.text.slice(at, start) + open + snippet.text.slice(start, end) + close
    at = end
  }
  return (text + snippet.text.slice(at)).replace(/\s+/g, " ")
}

/** A page as text: each thread on three lines, then a note when the ranking was bounded. */
export const pageText = (page: SearchRecordPage, color: boolean): string => {
  if (page.items.length === 0) return "no threads match"
  const lines = page.items.flatMap((hit) => {
    const t = hit.thread.metadata
    const title = t.name ?? (t.title || t.firstUserMessage || "(no message)")
    const updated = new Date(t.updatedAt).toISOString().slice(0, 16).replace("T", " ")
    const where = `${hit.matches} ${hit.matches === 1 ? "match" : "matches"}, best in turn ${
      hit.message.turnIndex ?? "-"
    }`
    return [
      `${updated}  ${t.id}  ${hit.thread.placement.archived ? "[archived] " : ""}${title}`,
      `  ${renderSnippet(hit.snippet, color)}`,
      `  ${where} (${hit.message.kind}, line ${hit.message.position})${t.cwd === "" ? "" : ` in ${t.cwd}`}`
    ]
  })
  return [
    ...lines,
    ...(page.exhaustive ? [] : ["(more messages match than are ranked: these are the best of the newest matches)"]),
    ...(page.nextCursor === null ? [] : [`next page: --cursor ${page.nextCursor}`])
  ].join("\n")
}

/** @since 0.1.0 */
export const searchCommand = Command.make(
  "search",
  { home, db, hostId, json, limit, cwd, archived, sourceKind, provider, cursor, query },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        const page = yield* engine.searchThreads({
          query: options.query,
          limit: options.limit,
          archived: options.archived,
          ...(options.cwd.length === 0 ? {} : { cwd: options.cwd }),
          ...(options.sourceKind.length === 0 ? {} : { sourceKinds: options.sourceKind }),
          modelProviders: options.provider,
          ...Option.match(options.cursor, { onNone: () => ({}), onSome: (value) => ({ cursor: value }) })
        })
        if (options.json) {
          const items = page.items.map((hit) => ({ ...hit, thread: recordJson(hit.thread) }))
          return yield* output(true, { items, exhaustive: page.exhaustive, nextCursor: page.nextCursor }, () => "")
        }
        yield* Console.log(pageText(page, colorAllowed(process.stdout)))
      }), "read")
).pipe(Command.withDescription("full-text search over what threads said: best matches first, with snippets"))
