import { describe, expect, it } from "vitest"
import {
  isCopySuffixed,
  looksLikeRollout,
  parseRolloutFileName,
  rolloutFileNameFor
} from "../../src/domain/RolloutFileName.js"

const ID = "019ea439-5f04-7f57-962d-815ed782d47f"

describe("rollout file names", () => {
  it("reads the name's time as UTC, the thread id, the rollout id and compression", () => {
    expect(parseRolloutFileName(`rollout-2024-03-05T06-07-08-${ID}.jsonl`)).toEqual({
      threadId: ID,
      nameTimestamp: Date.UTC(2024, 2, 5, 6, 7, 8),
      rolloutId: null,
      compressed: false
    })
    expect(parseRolloutFileName(`rollout-2024-03-05T06-07-08-${ID}_rev-2A.jsonl.zst`)).toEqual({
      threadId: ID,
      nameTimestamp: Date.UTC(2024, 2, 5, 6, 7, 8),
      rolloutId: "rev-2A",
      compressed: true
    })
  })

  it("takes midnight when the name has a date only, and lowercases the id", () => {
    expect(parseRolloutFileName(`rollout-2024-03-05-${ID.toUpperCase()}.jsonl`)).toEqual({
      threadId: ID,
      nameTimestamp: Date.UTC(2024, 2, 5),
      rolloutId: null,
      compressed: false
    })
  })

  it("refuses names that are not rollouts", () => {
    for (
      const name of [
        `rollout-2024-03-05T06-07-08-${ID}.json`,
        `rollout-2024-03-05T06-07-08-${ID}.jsonl.gz`,
        `xrollout-2024-03-05T06-07-08-${ID}.jsonl`,
        `rollout-2024-03-05T06-07-08-${ID}.jsonlx`,
        `rollout-2024-03-05T06-07-08-${ID.slice(1)}.jsonl`,
        `rollout-2024-03-05T06-07-08-${ID}_.jsonl`,
        `rollout-2024-03-05T06-07-08-${ID}_a/b.jsonl`,
        `rollout-24-03-05T06-07-08-${ID}.jsonl`,
        `rollout-2024-03-05T06-07-${ID}.jsonl`,
        `rollout-2024-03-05T06-07-08-${ID} (1).jsonl`,
        ""
      ]
    ) expect(parseRolloutFileName(name), name).toBeUndefined()
  })

  it("spots desktop copies by their numbered suffix", () => {
    expect(isCopySuffixed(`rollout-2024-03-05T06-07-08-${ID} (1).jsonl`)).toBe(true)
    expect(isCopySuffixed(`rollout-2024-03-05T06-07-08-${ID} (12).jsonl.zst`)).toBe(true)
    expect(isCopySuffixed(`rollout-2024-03-05T06-07-08-${ID}.jsonl`)).toBe(false)
    expect(isCopySuffixed(`rollout-2024-03-05T06-07-08-${ID} ().jsonl`)).toBe(false)
    expect(isCopySuffixed(`rollout-2024-03-05T06-07-08-${ID} (1).jsonl.bak`)).toBe(false)
    expect(isCopySuffixed(`rollout-2024-03-05T06-07-08-${ID}(1).jsonl`)).toBe(false)
  })

  it("considers any rollout-prefixed .jsonl or .jsonl.zst file", () => {
    expect(looksLikeRollout("rollout-anything.jsonl")).toBe(true)
    expect(looksLikeRollout("rollout-anything.jsonl.zst")).toBe(true)
    expect(looksLikeRollout("rollout-anything.json")).toBe(false)
    expect(looksLikeRollout("rollout-anything.zst")).toBe(false)
    expect(looksLikeRollout("other-anything.jsonl")).toBe(false)
  })

  it("names a new thread's file by its local creation time, padded, which parses back", () => {
    const created = new Date(2024, 0, 2, 3, 4, 5)
    const name = rolloutFileNameFor(ID, created)
    expect(name).toBe(`rollout-2024-01-02T03-04-05-${ID}.jsonl`)
    expect(parseRolloutFileName(name)?.threadId).toBe(ID)
    expect(rolloutFileNameFor(ID, new Date(2024, 10, 21, 13, 14, 15))).toBe(`rollout-2024-11-21T13-14-15-${ID}.jsonl`)
  })
})
