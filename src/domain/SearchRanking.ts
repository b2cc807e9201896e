/**
 * How a search ranks threads from the messages it scored: a thread's score is the sum of its
 * messages' bm25 (lower is better), so a thread saying a phrase three times outranks one saying
 * it once; ties go by thread id, the order the cursor pages on.
 * @since 0.1.0
 */
import type { RankPosition } from "./SearchQuery.js"

/**
 * A matching message as the index scored it.
 * @since 0.1.0
 * @category models
 */
export interface ScoredMessage {
  readonly messageId: number
  readonly threadId: string
  /** FTS5's bm25: lower is better. */
  readonly score: number
}

/**
 * A thread in the ranking: its summed score, its matching messages, and the best of them.
 * @since 0.1.0
 * @category models
 */
export interface RankedThread {
  readonly threadId: string
  readonly score: number
  readonly matches: number
  readonly bestMessageId: number
}

const before = (a: RankPosition, b: RankPosition): boolean => a.score < b.score || (a.score === b.score && a.id < b.id)

/**
 * The threads of `messages`, best first, those after `after` only. Scores are summed in the
 * order given, so the same messages in the same order give the same doubles on every page (a
 * cursor compares them exactly); of equal messages the first is a thread's best.
 * @since 0.1.0
 */
export const rankThreads = (
  messages: ReadonlyArray<ScoredMessage>,
  after?: RankPosition
): Array<RankedThread> => {
  const threads = new Map<string, { score: number; matches: number; best: number; bestMessageId: number }>()
  for (const { messageId, score, threadId } of messages) {
    const thread = threads.get(threadId)
    if (thread === undefined) {
      threads.set(threadId, { score, matches: 1, best: score, bestMessageId: messageId })
      continue
    }
    thread.score += score
    thread.matches++
    if (score < thread.best) {
      thread.best = score
      thread.bestMessageId = messageId
    }
  }
  const ranked: Array<RankedThread> = []
  for (const [threadId, { bestMessageId, matches, score }] of threads) {
    if (after === undefined || before(after, { score, id: threadId })) {
      ranked.push({ threadId, score, matches, bestMessageId })
    }
  }
  return ranked.sort((a, b) =>
    a.score !== b.score ? a.score - b.score : a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0
  )
}
