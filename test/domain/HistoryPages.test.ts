import { describe, expect, it } from "vitest"
import { compareHistoryFiles, continuesThread, sessionMetaThreadId } from "../../src/domain/HistoryPages.js"
import { applyAll, initial } from "../../src/domain/ThreadFold.js"

const BASE = "019ea439-5f04-7f57-962d-815ed782d47f"
const PAGE = "019ea439-5f04-7f57-962d-815ed782d480"

describe("paginated history", () => {
  it("a meta continues a thread only when paginated with a non-empty base; it then belongs to the base's thread", () => {
    const page = { id: PAGE, history_mode: "paginated", history_base: { thread_id: BASE } }
    expect(continuesThread(page)).toBe(true)
    expect(sessionMetaThreadId(page)).toBe(BASE)
    for (
      const meta of [
        { id: PAGE, history_mode: "legacy", history_base: { thread_id: BASE } },
        { id: PAGE, history_mode: "paginated" },
        { id: PAGE, history_mode: "paginated", history_base: null },
        { id: PAGE, history_mode: "paginated", history_base: { thread_id: "" } }
      ]
    ) {
      expect(continuesThread(meta)).toBe(false)
      expect(sessionMetaThreadId(meta)).toBe(PAGE)
    }
  })

  it("orders the file that starts a thread first, then its pages by the time in their names, then by name", () => {
    const files = [
      { name: "c", continuation: true, nameTimestamp: 20 },
      { name: "b", continuation: true, nameTimestamp: 10 },
      { name: "a", continuation: true, nameTimestamp: 10 },
      { name: "start", continuation: false, nameTimestamp: 30 },
      { name: "d", continuation: true, nameTimestamp: undefined }
    ]
    expect([...files].sort(compareHistoryFiles).map((f) => f.name)).toEqual(["start", "d", "a", "b", "c"])
    const page = (name: string) => ({ name, continuation: true, nameTimestamp: 10 })
    expect(compareHistoryFiles(page("a"), page("b"))).toBeLessThan(0)
    expect(compareHistoryFiles(page("b"), page("a"))).toBeGreaterThan(0)
    expect(compareHistoryFiles(page("a"), page("a"))).toBe(0)
  })

  it("the fold lets a page's meta with a new id continue the thread instead of being ignored as another thread's", () => {
    const start = applyAll(initial(BASE, { fileNameTimestamp: null, defaultModelProvider: "openai" }), [
      { type: "session_meta", payload: { id: BASE, cwd: "/a", timestamp: "2026-01-01T00:00:00.000Z" } }
    ])
    const continued = applyAll(start, [
      {
        type: "session_meta",
        payload: { id: PAGE, cwd: "/b", history_mode: "paginated", history_base: { thread_id: BASE } }
      }
    ])
    expect(continued.metadata).toMatchObject({ id: BASE, cwd: "/b", createdAt: start.metadata.createdAt })
    const foreign = applyAll(start, [{ type: "session_meta", payload: { id: PAGE, cwd: "/c" } }])
    expect(foreign.metadata.cwd).toBe("/a")
  })
})
