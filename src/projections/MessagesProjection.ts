/**
 * The `thread_messages` projection: the text of each thread's messages, one row per message
 * line, indexed by the FTS5 table `thread_messages_fts` (external content: its triggers keep the
 * index in step with these rows). A delta inserts the messages its fold read; earlier ones never
 * change, since a message is one complete line.
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { IndexedText, MessageKind, ThreadMessage } from "../domain/ThreadMessages.js"
import { driftOf } from "./Drift.js"
import type { Projection } from "./Projection.js"
import {
  chunksOf,
  groupedByKeys,
  KEYS_PER_STATEMENT,
  ofThreads,
  type Program,
  rows,
  run,
  runByKeys,
  statementForRows,
  valuesOf
} from "./Statements.js"
import type { ThreadDelta } from "./ThreadDelta.js"

/** @since 0.1.0 @category schemas */
export const MessageRow = Schema.Struct({
  thread_id: Schema.String,
  position: Schema.Number,
  turn_index: Schema.NullOr(Schema.Number),
  kind: Schema.String,
  text: Schema.String
})

/** @since 0.1.0 */
export type MessageRow = typeof MessageRow.Type

const toRow = (threadId: string, message: ThreadMessage): MessageRow => ({
  thread_id: threadId,
  position: message.position,
  turn_index: message.turnIndex,
  kind: message.kind,
  text: message.text
})

/** @since 0.1.0 */
export const messageOf = (row: MessageRow): ThreadMessage => ({
  position: row.position,
  turnIndex: row.turn_index,
  kind: row.kind as MessageKind,
  text: row.text
})

/** Throws (a defect) on a row the schema rejects: the migrations guarantee the shape. */
const decodeRows = Schema.decodeUnknownSync(Schema.Array(MessageRow))

const MESSAGE_COLUMNS = Object.keys(MessageRow.fields) as ReadonlyArray<keyof MessageRow>

// A fold resumes after the last line it projected, so its messages are new; a message whose
// line is already there (two writers racing past the stale check cannot, but a defect must not
// corrupt the index) is rewritten through the update trigger.
const insertRows = statementForRows(
  MESSAGE_COLUMNS.length,
  (values) =>
    `INSERT INTO thread_messages (${MESSAGE_COLUMNS.join(", ")}) VALUES ${values}
      ON CONFLICT (thread_id, position) DO UPDATE SET
        turn_index = excluded.turn_index, kind = excluded.kind, text = excluded.text`
)
const deleteMessages = statementForRows(1, (ids) => `DELETE FROM thread_messages WHERE thread_id IN (${ids})`)
const selectMessages = statementForRows(
  1,
  (ids) =>
    `SELECT ${MESSAGE_COLUMNS.join(", ")} FROM thread_messages WHERE thread_id IN (${ids})
      ORDER BY thread_id, position`
)

const selectLastMessages = statementForRows(
  1,
  (values) =>
    `WITH ids (thread_id) AS (VALUES ${values})
      SELECT m.kind, m.text, m.thread_id FROM ids JOIN thread_messages m ON m.thread_id = ids.thread_id
        AND m.position = (SELECT MAX(l.position) FROM thread_messages l WHERE l.thread_id = ids.thread_id)`
)

const decodeLast = Schema.decodeUnknownSync(Schema.Array(MessageRow.pick("thread_id", "kind", "text")))

function* applyMessages(deltas: ReadonlyArray<ThreadDelta>): Program<void> {
  const messages = deltas.flatMap((d) => (d.messages ?? []).map((m) => toRow(d.after.metadata.id, m)))
  for (const chunk of chunksOf(messages)) yield* run(insertRows(chunk.length), valuesOf(chunk, MESSAGE_COLUMNS))
}

/**
 * The projection's programs.
 * @since 0.1.0
 */
export const messageRows = {
  clear: (threadIds: ReadonlyArray<string>): Program<void> => runByKeys(deleteMessages, threadIds),
  apply: applyMessages,
  /** Each thread's message indexed last: where a resumed fold's echo check starts (`echoes`). */
  loadLast: function*(threadIds: ReadonlyArray<string>): Program<ReadonlyMap<string, IndexedText>> {
    const last = new Map<string, IndexedText>()
    for (const chunk of chunksOf(threadIds, KEYS_PER_STATEMENT)) {
      for (const row of decodeLast(yield* rows(selectLastMessages(chunk.length), chunk))) {
        last.set(row.thread_id, { kind: row.kind as MessageKind, text: row.text })
      }
    }
    return last
  },
  /** Every message of these threads, in order. */
  loadAll: (threadIds: ReadonlyArray<string>): Program<ReadonlyMap<string, ReadonlyArray<ThreadMessage>>> =>
    groupedByKeys(selectMessages, threadIds, decodeRows, (row) => row.thread_id, messageOf)
}

/** @since 0.1.0 */
export const messagesProjection: Projection = {
  table: "thread_messages",
  key: ["thread_id", "position"],
  overwrites: false,
  // The rowid is the index's document id, assigned in insert order: a rebuild numbers rows
  // differently. Verify compares the rows without it, and the index by what a query sees of it.
  compared: [
    { table: "thread_messages", key: ["thread_id", "position"], columns: MESSAGE_COLUMNS },
    { table: "thread_messages_terms", key: ["term"], columns: ["term", "doc", "cnt"] }
  ],
  apply: messageRows.apply,
  clear: messageRows.clear,
  reset: (own) => run(`DELETE FROM thread_messages${ofThreads("thread_id", own)}`, []),
  drift: function*(folds) {
    const messages = yield* messageRows.loadAll(folds.map((f) => f.after.metadata.id))
    return driftOf(folds, "messages", (id) => messages.get(id) ?? [], (f) => f.messages ?? [])
  }
}
