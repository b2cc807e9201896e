import { describe, expect, it } from "vitest"
import { rankThreads, type ScoredMessage } from "../../src/domain/SearchRanking.js"

const message = (messageId: number, threadId: string, score: number): ScoredMessage => ({ messageId, threadId, score })

describe("rankThreads", () => {
  it("sums a thread's scores, keeps its best message, and ranks lower sums first, ties by id", () => {
    const ranked = rankThreads([
      message(9, "b", -1),
      message(8, "a", -1),
      message(7, "c", -1),
      message(6, "a", -3),
      message(5, "c", -1)
    ])
    expect(ranked).toEqual([
      { threadId: "a", score: -4, matches: 2, bestMessageId: 6 },
      { threadId: "c", score: -2, matches: 2, bestMessageId: 7 },
      { threadId: "b", score: -1, matches: 1, bestMessageId: 9 }
    ])
  })

  it("after a position, only the threads strictly after it", () => {
    const messages = [message(4, "b", -2), message(3, "a", -2), message(2, "c", -2), message(1, "d", -5)]
    expect(rankThreads(messages, { score: -2, id: "a" }).map((r) => r.threadId)).toEqual(["b", "c"])
    expect(rankThreads(messages, { score: -5, id: "d" }).map((r) => r.threadId)).toEqual(["a", "b", "c"])
    expect(rankThreads(messages, { score: -2, id: "c" })).toEqual([])
  })
})
