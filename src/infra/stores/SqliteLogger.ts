/**
 * An Effect `Logger` that lands every `Effect.log*` in the `logs` table (SPEC §7).
 *
 * The caller's side only appends the record to an in-memory queue; a background fiber renders
 * and writes the queue in batches (every `batchSize` lines or `flushIntervalMs`), so a log
 * call costs the caller no SQL. Closing the layer's scope drains the queue: every line logged
 * before it closes is written. The queue is bounded: when it is full a line is dropped and
 * counted (the caller never waits, and a logger that blocked could deadlock a host whose
 * writer is stuck); the next write stores a WARN line saying how many were lost. A failed
 * write never reaches the caller and never stops the writer: it is reported on stderr once
 * per run of failures, its lines counted as lost.
 *
 * Columns from annotations: `threadId` → `thread_id`, `target` → `target` (else the
 * option), `modulePath`, `file`, `line` → their columns (Effect records carry no source
 * location, so these stay null unless annotated). Every other annotation, the log spans with
 * their elapsed time and the cause go into `feedback_log_body`. Time is the record's date
 * (Effect's `Clock`, millisecond precision; `ts_nanos` is a multiple of 1,000,000).
 * @since 0.1.0
 */
import { Cause, Clock, Context, Effect, Fiber, FiberRef, HashSet, Inspectable, Layer, Logger } from "effect"
import type { HashMap, List, LogLevel, LogSpan } from "effect"
import { feedbackLine, type LogLevelName, MAX_TS, messageText, parseLevel, renderBody } from "../../domain/LogLine.js"
import * as LogStore from "./LogStore.js"
import { PROCESS_UUID } from "./ProcessUuid.js"

/**
 * Annotation keys read into columns rather than the body.
 * @since 0.1.0
 */
export const ANNOTATION = {
  threadId: "threadId",
  target: "target",
  modulePath: "modulePath",
  file: "file",
  line: "line"
} as const

/**
 * @since 0.1.0
 * @category models
 */
export interface SqliteLoggerOptions {
  /** A queue this long is written at once. Default 256. */
  readonly batchSize?: number
  /** The longest a line waits in memory. Default 500 ms. */
  readonly flushIntervalMs?: number
  /** Lines held in memory at most; beyond, new lines are dropped and counted. Default 20,000. */
  readonly queueCapacity?: number
  /** `target` of lines without a `target` annotation. Default `rollout-state`. */
  readonly target?: string
  /** Retention budget in estimated bytes, applied after a write at most once per `pruneIntervalMs`; `null` keeps everything. Default 64 MiB. */
  readonly maxTotalBytes?: number | null
  /** Default 60 s. */
  readonly pruneIntervalMs?: number
}

/**
 * The running logger: install `logger`, or use the layers below; `flush` writes every line
 * logged so far (before a feedback export that must include them, say).
 * @since 0.1.0
 * @category models
 */
export interface SqliteLogger {
  readonly logger: Logger.Logger<unknown, void>
  readonly flush: Effect.Effect<void>
}

/** @since 0.1.0 @category tags */
export const SqliteLogger = Context.GenericTag<SqliteLogger>("rollout-state/SqliteLogger")

interface Pending {
  readonly date: Date
  readonly level: LogLevel.LogLevel
  readonly message: string
  readonly cause: Cause.Cause<unknown>
  readonly spans: List.List<LogSpan.LogSpan>
  readonly annotations: HashMap.HashMap<string, unknown>
}

const text = (value: unknown): string => (typeof value === "string" ? value : Inspectable.toStringUnknown(value, 0))

// Never throws: a message whose rendering throws is logged as such.
const safeMessage = (message: unknown): string => {
  try {
    return messageText(message)
  } catch {
    return "<message could not be rendered>"
  }
}

const levelName = (level: LogLevel.LogLevel): LogLevelName =>
  parseLevel(level.label) ?? (level._tag === "All" ? "TRACE" : "FATAL")

const toEntry = (pending: Pending, defaultTarget: string): LogStore.LogEntry => {
  const ms = pending.date.getTime()
  const seconds = Math.floor(ms / 1000)
  // A clock outside 1970..9999 is clamped rather than failing the batch.
  const ts = Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), MAX_TS) : 0
  const tsNanos = ts === seconds ? (ms - seconds * 1000) * 1_000_000 : 0
  let threadId: string | null = null
  let target = defaultTarget
  let modulePath: string | null = null
  let file: string | null = null
  let line: number | null = null
  const fields: Array<readonly [string, string]> = []
  for (const [key, value] of pending.annotations) {
    switch (key) {
      case ANNOTATION.threadId:
        threadId = text(value)
        break
      case ANNOTATION.target:
        target = text(value)
        break
      case ANNOTATION.modulePath:
        modulePath = text(value)
        break
      case ANNOTATION.file:
        file = text(value)
        break
      case ANNOTATION.line:
        if (Number.isSafeInteger(Number(value))) line = Number(value)
        else fields.push([key, text(value)])
        break
      default:
        fields.push([key, text(value)])
    }
  }
  const spans: Array<readonly [string, number]> = []
  for (const span of pending.spans) spans.push([span.label, ms - span.startTime])
  const cause = Cause.isEmpty(pending.cause) ? undefined : Cause.pretty(pending.cause, { renderErrorCause: true })
  const level = levelName(pending.level)
  return {
    ts,
    tsNanos,
    level,
    target,
    message: pending.message,
    feedbackLogBody: renderBody({ message: pending.message, spans, fields, cause }),
    threadId,
    processUuid: PROCESS_UUID,
    modulePath,
    file,
    line
  }
}

/**
 * Starts the writer fiber and returns the logger; the scope's close drains the queue.
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: SqliteLoggerOptions = {}) =>
  Effect.gen(function*() {
    const store = yield* LogStore.LogStore
    const batchSize = Math.max(1, options.batchSize ?? 256)
    const flushIntervalMs = Math.max(1, options.flushIntervalMs ?? 500)
    const capacity = Math.max(batchSize, options.queueCapacity ?? 20_000)
    const defaultTarget = options.target ?? "rollout-state"
    const maxTotalBytes = options.maxTotalBytes === undefined ? 64 * 1024 * 1024 : options.maxTotalBytes
    const pruneIntervalMs = options.pruneIntervalMs ?? 60_000

    let queue: Array<Pending> = []
    let droppedFull = 0
    let droppedFailed = 0
    let failing = false
    let closed = false
    let lastPrune = Number.NEGATIVE_INFINITY
    const wake = yield* Effect.makeLatch(false)
    const writing = yield* Effect.makeSemaphore(1)

    const logger = Logger.make<unknown, void>((o) => {
      if (closed) {
        // A fiber that outlived the layer: its line goes to stderr rather than nowhere.
        try {
          const entry = toEntry({
            date: o.date,
            level: o.logLevel,
            message: safeMessage(o.message),
            cause: o.cause,
            spans: o.spans,
            annotations: o.annotations
          }, defaultTarget)
          process.stderr.write(
            feedbackLine({ ts: entry.ts, tsNanos: entry.tsNanos, level: entry.level, body: entry.feedbackLogBody })
          )
        } catch {
          // A logger never fails its caller.
        }
        return
      }
      if (queue.length >= capacity) {
        droppedFull++
        return
      }
      queue.push({
        date: o.date,
        level: o.logLevel,
        message: safeMessage(o.message),
        cause: o.cause,
        spans: o.spans,
        annotations: o.annotations
      })
      if (queue.length === batchSize) wake.unsafeOpen()
    })

    const report = (what: string, cause: Cause.Cause<unknown>) =>
      Effect.sync(() => {
        if (failing) return
        failing = true
        process.stderr.write(
          `rollout-state logger: ${what} failed; lines are lost until it works again: ${Cause.pretty(cause)}\n`
        )
      })

    const lostNote = (now: number): LogStore.LogEntry => {
      const message = `logger lost ${
        droppedFull + droppedFailed
      } lines (${droppedFull} while its queue was full, ${droppedFailed} in writes that failed)`
      const seconds = Math.min(Math.max(Math.floor(now / 1000), 0), MAX_TS)
      return { ...LogStore.entry({ ts: seconds, tsNanos: 0, level: "WARN", message }), target: defaultTarget }
    }

    const writeBatch = Effect.suspend(() => {
      const batch = queue
      queue = []
      wake.unsafeClose()
      if (batch.length === 0 && droppedFull === 0) return Effect.void
      return Effect.gen(function*() {
        const entries = batch.map((pending) => toEntry(pending, defaultTarget))
        const full = droppedFull
        if (full + droppedFailed > 0) entries.push(lostNote(yield* Clock.currentTimeMillis))
        const exit = yield* Effect.exit(store.insert(entries))
        if (exit._tag === "Success") {
          failing = false
          droppedFull -= full
          droppedFailed = 0
        } else {
          droppedFailed += batch.length
          yield* report("writing log lines", exit.cause)
        }
      }).pipe(Effect.catchAllCause((cause) =>
        Effect.zipRight(Effect.sync(() => void (droppedFailed += batch.length)), report("rendering log lines", cause))
      ))
    })

    const prune = Effect.gen(function*() {
      if (maxTotalBytes === null) {
        return
      }
      const now = yield* Clock.currentTimeMillis
      if (now - lastPrune < pruneIntervalMs) {
        return
      }
      lastPrune = now
      const exit = yield* Effect.exit(store.prune({ maxTotalBytes }))
      if (exit._tag === "Failure") {
        yield* report("log retention", exit.cause)
      }
    })

    // Uninterruptible: a batch taken off the queue is always written (or counted lost).
    const flush = writing.withPermits(1)(Effect.uninterruptible(Effect.zipRight(writeBatch, prune)))

    const loop = Effect.forever(
      Effect.zipRight(Effect.raceFirst(wake.await, Effect.sleep(flushIntervalMs)), flush)
    ).pipe(
      // The writer's own effects must not feed the queue they drain.
      Effect.locally(FiberRef.currentLoggers, HashSet.empty())
    )
    const writer = yield* Effect.forkDaemon(loop)

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* Fiber.interrupt(writer)
        // Lines other fibers log while the last batches are written are written too.
        while (queue.length > 0 || droppedFull > 0) {
          const before = droppedFailed
          yield* flush
          if (droppedFailed > before) {
            break
          }
        }
        closed = true
      }).pipe(Effect.locally(FiberRef.currentLoggers, HashSet.empty()))
    )

    return SqliteLogger.of({ logger, flush })
  })

const install = (options: SqliteLoggerOptions, replaceDefault: boolean) =>
  Layer.unwrapEffect(
    Effect.map(SqliteLogger, ({ logger }) =>
      replaceDefault ? Logger.replace(Logger.defaultLogger, logger) : Logger.add(logger))
  ).pipe(Layer.provideMerge(Layer.scoped(SqliteLogger, make(options))))

/**
 * Adds the SQLite logger beside the loggers already installed (the console one, by default).
 * @since 0.1.0
 * @category layers
 */
export const add = (options: SqliteLoggerOptions = {}): Layer.Layer<SqliteLogger, never, LogStore.LogStore> =>
  install(options, false)

/**
 * Replaces Effect's default console logger by the SQLite logger.
 * @since 0.1.0
 * @category layers
 */
export const replace = (options: SqliteLoggerOptions = {}): Layer.Layer<SqliteLogger, never, LogStore.LogStore> =>
  install(options, true)

/**
 * The log store and the logger (added, or replacing the console logger), over the `Database` in context.
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: SqliteLoggerOptions & { readonly replaceDefault?: boolean } = {}) =>
  (options.replaceDefault === true ? replace(options) : add(options)).pipe(Layer.provideMerge(LogStore.layer))
