/**
 * What `logs` does once its options are parsed (see LogsCommand.ts), loaded only when it runs.
 * @since 0.1.0
 */
import { Console, Effect, Option } from "effect"
import { feedbackLine, formatTimestamp, LOG_LEVELS, parseLevel } from "../../domain/LogLine.js"
import { InvalidInput } from "../engine/EngineError.js"
import * as LogStore from "../stores/LogStore.js"
import { type DatabaseOptions, withExisting } from "./CliDatabase.js"

/** @since 0.1.0 */
export interface LogsOptions {
  readonly home: Option.Option<string>
  readonly db: Option.Option<string>
  readonly hostId: Option.Option<string>
  readonly json: boolean
  readonly thread: Option.Option<string>
  readonly level: Option.Option<string>
  readonly search: Option.Option<string>
  readonly limit: number
  readonly follow: boolean
}

/** How often `--follow` looks for new lines. */
const POLL_MS = 250
/** Rows per read while following. */
const FOLLOW_PAGE = 1000

/** @since 0.1.0 */
export const recordJson = (record: LogStore.LogRecord) => ({
  id: record.id,
  timestamp: formatTimestamp(record.ts, record.tsNanos),
  level: record.level,
  target: record.target,
  message: record.message,
  body: record.feedbackLogBody,
  threadId: record.threadId,
  processUuid: record.processUuid,
  modulePath: record.modulePath,
  file: record.file,
  line: record.line,
  estimatedBytes: record.estimatedBytes
})

/** One line per row: the rendered line, or a JSON object (JSON Lines, so `--follow` streams). */
const print = (records: ReadonlyArray<LogStore.LogRecord>, asJson: boolean) =>
  records.length === 0
    ? Effect.void
    : Console.log(
      records.map((r) =>
        asJson
          ? JSON.stringify(recordJson(r))
          // Console.log ends the text with the last line's newline.
          : feedbackLine({ ts: r.ts, tsNanos: r.tsNanos, level: r.level, body: r.feedbackLogBody }).slice(0, -1)
      ).join("\n")
    )

/**
 * Runs `use` with the log store of the resolved database; a database that does not exist is
 * an error (reading logs creates nothing), one this process cannot write is opened read-only.
 * @since 0.1.0
 */
export const withLogStore = <A, E>(
  options: DatabaseOptions,
  use: (store: LogStore.LogStore) => Effect.Effect<A, E>
) => withExisting(options, Effect.flatMap(LogStore.make, use))

/** @since 0.1.0 */
export const runLogs = (options: LogsOptions) =>
  Effect.gen(function*() {
    const minimum = yield* Option.match(options.level, {
      onNone: () => Effect.succeed(undefined),
      onSome: (text) => {
        const parsed = parseLevel(text)
        return parsed === undefined
          ? Effect.fail(
            new InvalidInput({
              what: "--level",
              reason: `unknown level "${text}": one of ${LOG_LEVELS.map((l) => l.toLowerCase()).join(", ")}`
            })
          )
          : Effect.succeed(parsed)
      }
    })
    const filters: LogStore.LogQuery = {
      ...(minimum === undefined ? {} : { level: minimum }),
      ...Option.match(options.thread, { onNone: () => ({}), onSome: (threadId) => ({ threadId }) }),
      ...Option.match(options.search, { onNone: () => ({}), onSome: (value) => ({ search: value }) })
    }
    yield* withLogStore(options, (store) =>
      Effect.gen(function*() {
        // Taken before the page: a line written meanwhile is printed by the tail, not lost.
        const lastBefore = yield* store.lastId
        const newest = yield* store.query({ ...filters, limit: options.limit })
        const page = [...newest].reverse()
        if (options.json && !options.follow) {
          // One document, as every other command prints; JSON Lines only when following.
          return yield* Console.log(JSON.stringify({ items: page.map(recordJson) }, null, 2))
        }
        yield* print(page, options.json)
        if (!options.follow) {
          if (page.length === 0 && !options.json) yield* Console.error("no log lines")
          return
        }
        let afterId = page.reduce((max, r) => Math.max(max, r.id), lastBefore)
        while (true) {
          const fresh = yield* store.query({ ...filters, afterId, limit: FOLLOW_PAGE })
          yield* print(fresh, options.json)
          afterId = fresh.length === 0 ? afterId : fresh[fresh.length - 1]!.id
          if (fresh.length < FOLLOW_PAGE) yield* Effect.sleep(POLL_MS)
        }
      }))
  })
