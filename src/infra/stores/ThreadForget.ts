/**
 * The operational rows keyed on a thread, deleted when the thread is (SPEC §11 thread delete,
 * as the reference cascades): its goal, its memory (stage-1 output, phase-1 job, memory row)
 * and its log lines. Rows with a foreign key on `threads` would follow its row anyway; they
 * are named here too, so a thread that lost its row first still leaves nothing behind.
 * @since 0.1.0
 */
import { STAGE1_KIND } from "../../domain/MemoryJobs.js"
import { type Program, run, runByKeys, statementForRows } from "../../projections/Statements.js"

const deletes = [
  statementForRows(1, (ids) => `DELETE FROM thread_goals WHERE thread_id IN (${ids})`),
  statementForRows(1, (ids) => `DELETE FROM thread_memory WHERE thread_id IN (${ids})`),
  statementForRows(1, (ids) => `DELETE FROM stage1_outputs WHERE thread_id IN (${ids})`),
  statementForRows(1, (ids) => `DELETE FROM logs WHERE thread_id IN (${ids})`)
]
const deleteJobs = statementForRows(1, (ids) => `DELETE FROM jobs WHERE kind = ? AND job_key IN (${ids})`)

/**
 * Deletes these threads' operational rows, in the caller's transaction.
 * @since 0.1.0
 */
export function* forgetThreads(threadIds: ReadonlyArray<string>): Program<void> {
  for (const text of deletes) yield* runByKeys(text, threadIds)
  for (const id of threadIds) yield* run(deleteJobs(1), [STAGE1_KIND, id])
}
