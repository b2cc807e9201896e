import { describe, expect, it } from "@effect/vitest"
import { join } from "node:path"
import { rolloutFileNameFor } from "../../../src/domain/RolloutFileName.js"
import {
  archivedRolloutPath,
  isArchivedRolloutPath,
  liveRolloutPath,
  movedPlaces,
  newRolloutPath
} from "../../../src/infra/rollout/Layout.js"

const NAME = "rollout-2025-11-20T16-59-09-019a9f10-1111-7222-8333-444455556666.jsonl"

describe("home layout (SPEC §1)", () => {
  it("a live file lives under the date folders of its name; an archived one flat under archived_sessions", () => {
    expect(liveRolloutPath("/h", NAME)).toBe(join("/h", "sessions", "2025", "11", "20", NAME))
    expect(archivedRolloutPath("/h", NAME)).toBe(join("/h", "archived_sessions", NAME))
    // A name without a date stays directly under sessions/.
    expect(liveRolloutPath("/h", "rollout-x.jsonl")).toBe(join("/h", "sessions", "rollout-x.jsonl"))
  })

  it("a new thread's file is named and foldered by its local creation time, where unarchiving puts it back", () => {
    const created = new Date(2026, 0, 2, 3, 4, 5).getTime()
    const id = "019a9f10-1111-7222-8333-444455556666"
    const path = newRolloutPath("/h", id, created)
    const name = rolloutFileNameFor(id, new Date(created))
    expect(path).toBe(join("/h", "sessions", "2026", "01", "02", name))
    expect(liveRolloutPath("/h", name)).toBe(path)
  })

  it("a move puts a file in the archive or in its date folders; a path under archived_sessions/ is archived", () => {
    expect(movedPlaces("/h", NAME)).toEqual([
      { path: archivedRolloutPath("/h", NAME), archived: true },
      { path: liveRolloutPath("/h", NAME), archived: false }
    ])
    expect(isArchivedRolloutPath("/h", archivedRolloutPath("/h", NAME))).toBe(true)
    expect(isArchivedRolloutPath("/h", join("/h", "archived_sessions", "2025", NAME))).toBe(true)
    expect(isArchivedRolloutPath("/h", liveRolloutPath("/h", NAME))).toBe(false)
    expect(isArchivedRolloutPath("/h", join("/h", "archived_sessions-old", NAME))).toBe(false)
  })
})
