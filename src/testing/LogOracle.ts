/**
 * The oracle every case ends with, independent of the engine's own replay: verify finds no
 * difference, and each thread's row and indexed messages equal a full-decode fold of its files,
 * one after the other (SPEC §1: a thread is the union of its pages, in order).
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { DEFAULT_MESSAGE_KINDS, type ThreadMessage } from "../domain/ThreadMessages.js"
import type { Engine } from "../infra/engine/Engine.js"
import type { EngineError } from "../infra/engine/EngineError.js"
import { type FileFold, foldRolloutFile, nextFileResume } from "../infra/rollout/RolloutFold.js"
import type { RolloutReadError } from "../infra/rollout/RolloutIssue.js"
import { type ConformanceFailure, expectEqual } from "./Check.js"

/** A thread's indexed messages as the database holds them, in file order. */
export const messagesOf = (
  sql: SqlClient.SqlClient,
  threadId: string
): Effect.Effect<ReadonlyArray<ThreadMessage>, SqlError> =>
  sql<ThreadMessage>`SELECT position, turn_index AS "turnIndex", kind, text FROM thread_messages
    WHERE thread_id = ${threadId} ORDER BY position`

/**
 * The fold of a thread's files in order, with its messages' positions counted across them.
 * @since 0.1.0
 */
export const foldThreadFiles = (
  files: ReadonlyArray<string>
): Effect.Effect<{ readonly fold: FileFold; readonly messages: ReadonlyArray<ThreadMessage> }, RolloutReadError> =>
  Effect.gen(function*() {
    let folded: FileFold | undefined
    const messages: Array<ThreadMessage> = []
    let linesBefore = 0
    for (const file of files) {
      folded = yield* foldRolloutFile(file, {
        defaultModelProvider: "openai",
        decode: "full",
        messageKinds: DEFAULT_MESSAGE_KINDS,
        ...(folded === undefined ? {} : { resume: nextFileResume(folded) })
      })
      for (const message of folded.messages) messages.push({ ...message, position: message.position + linesBefore })
      linesBefore += folded.end.nextLineNumber - 1
    }
    if (folded === undefined) return yield* Effect.dieMessage("foldThreadFiles: a thread has at least one file")
    return { fold: folded, messages }
  })

/**
 * Verify is clean, and every listed thread (id → its files, the current one last) is projected
 * as its files fold: metadata, indexed messages, placement and projected offset.
 * @since 0.1.0
 */
export const expectProjectedAsLogged = (
  engine: Engine,
  sql: SqlClient.SqlClient,
  threads: ReadonlyMap<string, ReadonlyArray<string>>
): Effect.Effect<void, ConformanceFailure | EngineError | RolloutReadError | SqlError> =>
  Effect.gen(function*() {
    const verified = yield* engine.verify()
    yield* expectEqual("verify finds no difference between live and rebuilt projections", verified.differences, [])
    for (const [id, files] of threads) {
      const record = yield* engine.getThread(id)
      const { fold, messages } = yield* foldThreadFiles(files)
      yield* expectEqual(`thread ${id}: its row is the fold of its files`, record?.metadata, fold.state.metadata)
      yield* expectEqual(`thread ${id}: its indexed messages are its files'`, yield* messagesOf(sql, id), messages)
      yield* expectEqual(`thread ${id}: its placement names its files`, {
        current: record?.placement.rolloutPath,
        earlier: record?.placement.earlierFiles?.map((f) => f.path) ?? [],
        projectedOffset: record?.placement.projectedOffset
      }, { current: files.at(-1), earlier: files.slice(0, -1), projectedOffset: fold.end.offset })
    }
  })
