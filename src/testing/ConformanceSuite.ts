/**
 * The conformance suite: the engine's guarantees (SPEC §4) as named cases any runner can run,
 * against any engine layer a factory opens. Each case makes its own home and database, opens
 * the engine as often as it restarts it, and fails with a `ConformanceFailure` naming the
 * guarantee it saw broken.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, FastCheck as fc, Layer } from "effect"
import { appendFileSync, mkdirSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import type { InvalidCursor } from "../domain/PageCursor.js"
import { encodeRolloutLine } from "../domain/RolloutItem.js"
import { type Engine, Engine as EngineTag, type WritableItem } from "../infra/engine/Engine.js"
import type { EngineError } from "../infra/engine/EngineError.js"
import type { BatchProgress } from "../infra/engine/replay/Report.js"
import type { VerifyDifference } from "../infra/engine/replay/Verify.js"
import { type HomeNotFound, listRolloutFiles } from "../infra/rollout/RolloutFiles.js"
import type { RolloutReadError } from "../infra/rollout/RolloutIssue.js"
import { itemsArb, runs } from "./Arbitraries.js"
import { type ConformanceFailure, expectEqual, expectThat } from "./Check.js"
import type { EngineFactory } from "./EngineFactory.js"
import { expectProjectedAsLogged } from "./LogOracle.js"
import { writeRecordedHome } from "./RecordedHome.js"
import { workbench } from "./Workbench.js"

/**
 * What a case fails with: a broken guarantee, or an error of the engine or its database.
 * @since 0.1.0
 * @category models
 */
export type CaseError<E> =
  | ConformanceFailure
  | EngineError
  | HomeNotFound
  | InvalidCursor
  | RolloutReadError
  | SqlError
  | E

/**
 * One guarantee: `name` states it; `run` succeeds when it holds. `timeoutMs` is what it needs
 * on a loaded 2-core machine.
 * @since 0.1.0
 * @category models
 */
export interface ConformanceCase<E> {
  readonly name: string
  readonly run: Effect.Effect<void, CaseError<E>>
  readonly timeoutMs: number
}

/** @since 0.1.0 @category models */
export interface SuiteOptions {
  /** Cases of the appends property (default 10; `FC_RUNS` raises it). */
  readonly numRuns?: number
}

const userMessage = (message: string, timestamp?: string): WritableItem => ({
  ...(timestamp === undefined ? {} : { timestamp }),
  type: "event_msg",
  payload: { type: "user_message", message }
})

const turnContext = (model: string): WritableItem => ({
  type: "turn_context",
  payload: { cwd: "/work/app", model, effort: "high", approval_policy: "on-request" }
})

const tokens = (total: number): WritableItem => ({
  type: "event_msg",
  payload: { type: "token_count", info: { total_token_usage: { total_tokens: total } } }
})

/** A thread's current file, as the engine records it. */
const fileOf = (engine: Engine, id: string) =>
  Effect.flatMap(
    engine.getThread(id),
    (record) =>
      record === undefined ? Effect.dieMessage(`thread ${id}: no row`) : Effect.succeed(record.placement.rolloutPath)
  )

/** Each thread's one file, for the oracle. */
const singleFiles = (engine: Engine, ids: ReadonlyArray<string>) =>
  Effect.map(
    Effect.forEach(ids, (id) => Effect.map(fileOf(engine, id), (file) => [id, [file]] as const)),
    (entries) => new Map(entries)
  )

const appendsProperty = <D, E>(factory: EngineFactory<D, E>, numRuns: number): ConformanceCase<E> => ({
  name: "appended items of every kind are projected as a rebuild from the files projects them (replay == live)",
  timeoutMs: 120_000 * Math.max(1, numRuns / 10),
  run: Effect.promise(() =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(2), itemsArb(8)), { minLength: 1, maxLength: 8 }),
        (appends) =>
          Effect.runPromise(Effect.scoped(Effect.gen(function*() {
            const bench = yield* workbench(factory)
            yield* bench.withEngine((engine, sql) =>
              Effect.gen(function*() {
                const root = yield* engine.createThread({ cwd: "/work/a", source: "cli" })
                const spawned = yield* engine.createThread({ cwd: "/work/b", parent_thread_id: root.metadata.id })
                const other = yield* engine.createThread({ cwd: "" })
                const ids = [root, spawned, other].map((record) => record.metadata.id)
                for (const [index, items] of appends) {
                  const result = yield* engine.append(ids[index]!, items)
                  yield* expectEqual(
                    "an append reports the offset it projected up to: the file's end",
                    result.projectedOffset,
                    statSync(result.rolloutPath).size
                  )
                }
                yield* expectProjectedAsLogged(engine, sql, yield* singleFiles(engine, ids))
              })
            )
          })))
      ),
      { numRuns }
    )
  )
})

const crash = <D, E>(factory: EngineFactory<D, E>): ConformanceCase<E> => ({
  name:
    "lines written without their projection (a crash between log and projection) are caught up on reopen and by the next append, and a torn last line waits for its newline and is never glued to",
  timeoutMs: 60_000,
  run: Effect.scoped(Effect.gen(function*() {
    const bench = yield* workbench(factory)
    const [a, b, aFile, bFile] = yield* bench.withEngine((engine) =>
      Effect.gen(function*() {
        const a = yield* engine.createThread({ cwd: "/a" })
        yield* engine.append(a.metadata.id, [turnContext("gpt-x"), userMessage("before the crash")])
        // A torn line while the engine is open: the next append terminates it before writing.
        appendFileSync(a.placement.rolloutPath, "{\"timestamp\":\"2025-01-01T00:00:00.000Z\",\"type\":\"event_m")
        yield* engine.append(a.metadata.id, [tokens(5)])
        const aRecord = yield* engine.getThread(a.metadata.id)
        yield* expectEqual(
          "an append after a torn line is projected whole, never glued to it",
          aRecord?.metadata.tokensUsed,
          5
        )
        const b = yield* engine.createThread({ cwd: "/b" })
        // The process dies after writing a thread's lines, while the engine is open: the next
        // append projects them with its own.
        appendFileSync(b.placement.rolloutPath, encodeRolloutLine(userMessage("written, never projected")))
        yield* engine.append(b.metadata.id, [tokens(42)])
        const record = yield* engine.getThread(b.metadata.id)
        yield* expectEqual("an append projects the lines a crash left before it", {
          title: record?.metadata.title,
          tokensUsed: record?.metadata.tokensUsed
        }, { title: "written, never projected", tokensUsed: 42 })
        return [a.metadata.id, b.metadata.id, a.placement.rolloutPath, b.placement.rolloutPath] as const
      })
    )
    // While the engine is away, a's host writes whole lines, then b's dies halfway through one.
    appendFileSync(aFile, encodeRolloutLine(userMessage("written by the host", "2030-01-01T00:00:00.000Z")))
    const bWhole = statSync(bFile).size
    appendFileSync(bFile, "{\"timestamp\":\"2025-01-01T00:00:00.000Z\",\"type\":\"event_msg\",\"payl")
    yield* bench.withEngine((engine, sql) =>
      Effect.gen(function*() {
        // Opening caught both up; a second catch-up finds nothing to do.
        const report = yield* engine.catchUp
        yield* expectEqual("catch-up after the open's finds nothing left", {
          checked: report.checked,
          caughtUp: report.caughtUp,
          added: report.added,
          missingFiles: report.missingFiles,
          failed: report.failed
        }, { checked: 2, caughtUp: 0, added: 0, missingFiles: [], failed: [] })
        const aRecord = yield* engine.getThread(a)
        const aTurns = yield* engine.listTurns(a, { limit: 10, direction: "asc" })
        yield* expectEqual("the open caught up the lines written while it was away", {
          updatedAt: aRecord?.metadata.updatedAt,
          turns: aTurns.items.map((turn) => turn.userMessage)
        }, { updatedAt: Date.UTC(2030, 0, 1), turns: ["before the crash", "written by the host"] })
        const bRecord = yield* engine.getThread(b)
        yield* expectEqual(
          "a torn last line is not projected: the offset stops before it",
          bRecord?.placement.projectedOffset,
          bWhole
        )
        yield* expectProjectedAsLogged(engine, sql, new Map([[a, [aFile]], [b, [bFile]]]))
        yield* engine.append(b, [userMessage("after the torn line")])
        const turns = yield* engine.listTurns(b, { limit: 10, direction: "asc" })
        yield* expectEqual(
          "an append after a torn line starts a line of its own",
          turns.items.map((turn) => turn.userMessage),
          ["written, never projected", "after the torn line"]
        )
        yield* expectProjectedAsLogged(engine, sql, new Map([[a, [aFile]], [b, [bFile]]]))
      })
    )
  }))
})

/** What a host reads of a home: every thread with its detail, turns and spawned threads. */
const observe = (engine: Engine, ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const page = yield* engine.listThreads({ archived: "all", limit: 200 })
    const threads = yield* Effect.forEach(ids, (id) =>
      Effect.all({
        detail: engine.getThreadDetail(id),
        turns: Effect.map(engine.listTurns(id, { limit: 200 }), (turns) => turns.items),
        children: engine.agentChildren(id)
      }))
    return { list: page.items, threads }
  })

const restart = <D, E>(factory: EngineFactory<D, E>): ConformanceCase<E> => ({
  name:
    "closing and reopening the engine changes nothing: the same threads, details, turns and spawn edges, and nothing to catch up",
  timeoutMs: 60_000,
  run: Effect.scoped(Effect.gen(function*() {
    const bench = yield* workbench(factory)
    const { before, ids } = yield* bench.withEngine((engine) =>
      Effect.gen(function*() {
        const root = yield* engine.createThread({
          cwd: "/work/app",
          source: "vscode",
          dynamic_tools: [{ name: "lookup", description: "finds things", input_schema: { type: "object" } }]
        })
        const child = yield* engine.createThread({ cwd: "/work/app", parent_thread_id: root.metadata.id })
        const ids = [root.metadata.id, child.metadata.id]
        for (const [i, id] of ids.entries()) {
          yield* engine.append(id, [turnContext("gpt-5"), userMessage(`first ${i}`), tokens(100 * (i + 1))])
          yield* engine.append(id, [turnContext("gpt-5-codex"), userMessage(`second ${i}`), tokens(250 * (i + 1))])
        }
        yield* engine.updateThreadMetadata(root.metadata.id, { name: "Named" })
        yield* engine.archiveThread(child.metadata.id)
        return { before: yield* observe(engine, ids), ids }
      })
    )
    for (const round of [1, 2]) {
      yield* bench.withEngine((engine, sql) =>
        Effect.gen(function*() {
          const report = yield* engine.catchUp
          yield* expectEqual(`reopen ${round}: nothing to catch up`, {
            caughtUp: report.caughtUp,
            added: report.added,
            missingFiles: report.missingFiles
          }, { caughtUp: 0, added: 0, missingFiles: [] })
          yield* expectEqual(`reopen ${round}: what a host reads is unchanged`, yield* observe(engine, ids), before)
          yield* expectProjectedAsLogged(engine, sql, yield* singleFiles(engine, ids))
        })
      )
    }
  }))
})

const concurrentWriters = <D, E>(factory: EngineFactory<D, E>): ConformanceCase<E> => ({
  name:
    "two engines open on one home and database, appending at once to one thread and to their own while one also rebuilds and backfills, lose nothing",
  timeoutMs: 120_000,
  run: Effect.scoped(Effect.gen(function*() {
    const bench = yield* workbench(factory)
    const rounds = 20
    const [shared, first, second] = yield* bench.withEngine((engine) =>
      Effect.forEach(
        ["/shared", "/first", "/second"],
        (cwd) => Effect.map(engine.createThread({ cwd }), (record) => record.metadata.id)
      )
    )
    const writer = (who: string, own: string, replays: boolean) =>
      bench.withEngine((engine) =>
        Effect.forEach(Array.from({ length: rounds }, (_, i) => i), (i) =>
          Effect.gen(function*() {
            yield* engine.append(shared!, [userMessage(`${who} ${i}`)])
            yield* Effect.yieldNow()
            yield* engine.append(own, [userMessage(`${who} alone ${i}`)])
            if (replays && i % 5 === 2) yield* engine.rebuild()
            if (replays && i % 5 === 4) yield* engine.backfill({ restart: true })
            yield* Effect.yieldNow()
          }), { discard: true })
      )
    yield* Effect.all([writer("first", first!, false), writer("second", second!, true)], { concurrency: 2 })
    yield* bench.withEngine((engine, sql) =>
      Effect.gen(function*() {
        const said = (id: string) =>
          Effect.map(engine.listTurns(id, { limit: 200, direction: "asc" }), (page) =>
            page.items.map((turn) => turn.userMessage).sort())
        const expected = (prefix: string) =>
          Array.from({ length: rounds }, (_, i) => `${prefix} ${i}`)
        yield* expectEqual(
          "every append to the shared thread, from either engine, is a turn of it",
          yield* said(shared!),
          [...expected("first"), ...expected("second")].sort()
        )
        yield* expectEqual(
          "every append of the first engine is projected",
          yield* said(first!),
          expected("first alone").sort()
        )
        yield* expectEqual(
          "every append of the second engine is projected",
          yield* said(second!),
          expected("second alone").sort()
        )
        yield* expectProjectedAsLogged(engine, sql, yield* singleFiles(engine, [shared!, first!, second!]))
      })
    )
  }))
})

/** The backfill row of the case's database (one host: one row on either dialect). */
const backfillRow = (sql: SqlClient.SqlClient) =>
  Effect.map(
    sql<{ status: string; last_watermark: string | null }>`SELECT status, last_watermark FROM backfill_state`,
    (rows) => rows[0]
  )

const backfillInterrupted = <D, E>(factory: EngineFactory<D, E>): ConformanceCase<E> => ({
  name:
    "a backfill interrupted mid-run (the engine closed under it) keeps its checkpoint, and the next open resumes after it and completes, each file projected once",
  timeoutMs: 120_000,
  run: Effect.scoped(Effect.gen(function*() {
    const count = 150
    const bench = yield* workbench(factory, { batchSize: 5, backfillGateMs: 0 })
    const ids = writeRecordedHome(bench.home, count)
    const files = (yield* listRolloutFiles(bench.home)).files
    let batches = 0
    yield* bench.withEngine(() =>
      Effect.gen(function*() {
        while (batches < 3) yield* Effect.sleep("1 millis")
      }), {
      onOpenBackfill: () => batches++
    })
    const stopped = yield* bench.withEngine((engine, sql) =>
      Effect.all({
        row: backfillRow(sql),
        listed: Effect.map(engine.listThreads({ archived: "all", limit: 200 }), (page) => page.items.length)
      }), { openBackfill: false })
    const watermark = stopped.row?.last_watermark ?? null
    const done = watermark === null ? 0 : files.filter((file) => file.relativePath <= watermark).length
    yield* expectEqual(
      "an interrupted backfill is pending, its claim given back",
      stopped.row?.status,
      "pending"
    )
    yield* expectThat(
      "the interrupted backfill stopped midway, after a checkpoint",
      done > 0 && done < count,
      () => `checkpoint after ${done} of ${count} files`
    )
    yield* expectEqual("the rows are exactly the checkpointed files'", stopped.listed, done)
    const resumed: Array<BatchProgress> = []
    yield* bench.withEngine((engine, sql) =>
      Effect.gen(function*() {
        while ((yield* backfillRow(sql))?.status !== "complete") yield* Effect.sleep("5 millis")
        const last = resumed.at(-1)
        yield* expectEqual("the resumed backfill projects exactly the files after the checkpoint, once each", {
          total: resumed[0]?.total,
          scanned: last?.scanned,
          upserted: last?.upserted,
          failed: last?.failed
        }, { total: count - done, scanned: count - done, upserted: count - done, failed: 0 })
        const page = yield* engine.listThreads({ archived: "all", limit: 200 })
        yield* expectEqual(
          "every recorded thread is listed once",
          page.items.map((item) => item.metadata.id).sort(),
          [...ids].sort()
        )
        yield* expectEqual("a complete backfill is no longer reported", page.backfill, undefined)
      }), { onOpenBackfill: (progress) => resumed.push(progress) })
    let again = 0
    yield* bench.withEngine((engine, sql) =>
      Effect.gen(function*() {
        yield* expectEqual("a complete backfill does not run again on open", again, 0)
        yield* expectProjectedAsLogged(engine, sql, new Map(files.map((file) => [file.name.threadId, [file.path]])))
      }), { onOpenBackfill: () => again++ })
  }))
})

const verify = <D, E>(factory: EngineFactory<D, E>): ConformanceCase<E> => ({
  name:
    "verify is clean after appends, crashes, restarts and a backfill, reports a tampered projection row by table, key and column, and a rebuild repairs it",
  timeoutMs: 60_000,
  run: Effect.scoped(Effect.gen(function*() {
    const bench = yield* workbench(factory)
    const [root, child] = yield* bench.withEngine((engine) =>
      Effect.gen(function*() {
        const root = yield* engine.createThread({
          cwd: "/work/app",
          dynamic_tools: [{ name: "lookup", description: "finds things", input_schema: { type: "object" } }]
        })
        const child = yield* engine.createThread({ cwd: "/work/app", parent_thread_id: root.metadata.id })
        yield* engine.append(root.metadata.id, [turnContext("gpt-5"), userMessage("fix the flaky login test")])
        yield* engine.append(child.metadata.id, [userMessage("look into it"), tokens(7)])
        appendFileSync(child.placement.rolloutPath, encodeRolloutLine(userMessage("crashed before projecting")))
        return [root.metadata.id, child.metadata.id] as const
      })
    )
    yield* bench.withEngine((engine) => Effect.asVoid(engine.backfill({ restart: true })))
    yield* bench.withEngine((engine, sql) =>
      Effect.gen(function*() {
        yield* expectProjectedAsLogged(engine, sql, yield* singleFiles(engine, [root, child]))
        const title = (yield* engine.getThread(root))?.metadata.title
        yield* sql`UPDATE threads SET title = 'tampered' WHERE id = ${root}`
        yield* sql`DELETE FROM thread_turns WHERE thread_id = ${child} AND turn_index = 1`
        const report = yield* engine.verify()
        const order = (d: VerifyDifference) => `${d.table} ${d.key} ${d.column}`
        yield* expectEqual("verify reports each tampered row by table, key and column", {
          ok: report.ok,
          differences: [...report.differences].sort((x, y) => order(x).localeCompare(order(y)))
        }, {
          ok: false,
          differences: [
            { table: "thread_turns", key: `${child}/1`, column: "(row)", live: "absent", rebuilt: "present" },
            { table: "threads", key: root, column: "title", live: "tampered", rebuilt: title }
          ]
        })
        yield* engine.rebuild()
        yield* expectProjectedAsLogged(engine, sql, yield* singleFiles(engine, [root, child]))
      })
    )
  }))
})

const listedIds = (engine: Engine) =>
  Effect.map(engine.listThreads({ archived: "all", limit: 200 }), (page) => page.items.map((r) => r.metadata.id).sort())

const twoHosts = <D, E>(factory: EngineFactory<D, E>): ConformanceCase<E> => ({
  name:
    "two hosts sharing one database: each lists every host's threads, and reconciles, verifies and rebuilds only its own",
  timeoutMs: 90_000,
  run: Effect.scoped(Effect.gen(function*() {
    const bench = yield* workbench(factory)
    const homeB = join(bench.dir, "home-b")
    mkdirSync(homeB)
    const open = (home: string, hostId: string) =>
      Effect.map(
        Layer.build(Layer.fresh(factory.layer({ home, database: bench.database, hostId }))),
        (context) => [Context.get(context, EngineTag), Context.get(context, SqlClient.SqlClient)] as const
      )
    const [a, sqlA] = yield* open(bench.home, "host-a")
    const [b, sqlB] = yield* open(homeB, "host-b")
    const onA = yield* a.createThread({ cwd: "/work/a", source: "cli" })
    const gone = yield* a.createThread({ cwd: "/work/a", source: "cli" })
    const onB = yield* b.createThread({ cwd: "/work/b", source: "exec" })
    for (const [engine, id] of [[a, onA.metadata.id], [a, gone.metadata.id], [b, onB.metadata.id]] as const) {
      yield* engine.append(id, [turnContext("gpt-5"), userMessage(`hello from ${id}`), tokens(10)])
    }
    const all = [onA.metadata.id, gone.metadata.id, onB.metadata.id].sort()
    yield* expectEqual("host a lists both hosts' threads", yield* listedIds(a), all)
    yield* expectEqual("host b lists both hosts' threads", yield* listedIds(b), all)
    // Host a's file of `gone` is removed: its reconcile drops that row, and no row of host b's
    // (whose files host a's home does not hold).
    rmSync(gone.placement.rolloutPath)
    yield* a.reconcile({ repair: true })
    yield* b.reconcile({ repair: true })
    const left = [onA.metadata.id, onB.metadata.id].sort()
    yield* expectEqual("each host's reconcile kept the other host's threads", yield* listedIds(b), left)
    for (const [name, engine] of [["a", a], ["b", b]] as const) {
      yield* engine.rebuild()
      const report = yield* engine.verify()
      yield* expectEqual(`host ${name} verifies its own threads clean`, {
        ok: report.ok,
        differences: report.differences
      }, { ok: true, differences: [] })
    }
    yield* expectEqual("rebuilding on either host lost no thread of the other's", yield* listedIds(a), left)
    yield* expectProjectedAsLogged(a, sqlA, yield* singleFiles(a, [onA.metadata.id]))
    yield* expectProjectedAsLogged(b, sqlB, yield* singleFiles(b, [onB.metadata.id]))
  }))
})

/**
 * The suite's cases over `factory`, in the order to run them.
 * @since 0.1.0
 */
export const conformanceSuite = <D, E>(
  factory: EngineFactory<D, E>,
  options: SuiteOptions = {}
): ReadonlyArray<ConformanceCase<E>> => [
  appendsProperty(factory, options.numRuns ?? runs(10)),
  crash(factory),
  restart(factory),
  concurrentWriters(factory),
  backfillInterrupted(factory),
  verify(factory),
  ...(factory.sharedByHosts === true ? [twoHosts(factory)] : [])
]
