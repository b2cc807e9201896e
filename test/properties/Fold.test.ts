import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { apply, applyAll, applyAllWithTurns, initial } from "../../src/domain/ThreadFold.js"
import { type ThreadState, turnsOf } from "../../src/domain/ThreadState.js"
import { itemsArb, runs, THREAD_IDS, viaJson } from "../fixtures/arbitraries.js"

const start = initial(THREAD_IDS[0], { fileNameTimestamp: Date.UTC(2025, 5, 1), defaultModelProvider: "openai" })

/** What a host can observe of a state, and what the engine persists between runs. */
const observable = (state: ThreadState) => ({
  metadata: state.metadata,
  dynamicTools: state.dynamicTools,
  turns: turnsOf(state)
})

describe("fold properties", () => {
  it("the fold never throws on any sequence of valid items", () => {
    fc.assert(
      fc.property(itemsArb(80), (items) => {
        applyAll(start, items)
      }),
      { numRuns: runs(300) }
    )
  })

  it("folding a ++ b equals folding b onto the fold of a restored from its JSON form", () => {
    fc.assert(
      fc.property(itemsArb(), itemsArb(), (a, b) => {
        const whole = applyAll(start, [...a, ...b])
        const resumed = applyAll(viaJson(applyAll(start, a)), b)
        expect(resumed).toEqual(whole)
      }),
      { numRuns: runs(300) }
    )
  })

  it("applyAll, which defers line times to the next session meta or the end, equals applying items one by one", () => {
    fc.assert(
      fc.property(itemsArb(80), (items) => {
        expect(applyAll(start, items)).toEqual(items.reduce(apply, start))
      }),
      { numRuns: runs(500) }
    )
  })

  it("applyAllWithTurns gives applyAll's state, and at each mark the last turn's index of the fold cut after it", () => {
    fc.assert(
      fc.property(
        itemsArb(80).chain((items) =>
          fc.tuple(
            fc.constant(items),
            fc.uniqueArray(fc.nat({ max: Math.max(0, items.length - 1) }), { maxLength: 12 })
          )
        ),
        ([items, picked]) => {
          const marks = items.length === 0 ? [] : [...picked].sort((a, b) => a - b)
          const { state, turns } = applyAllWithTurns(start, items, marks)
          expect(state).toEqual(applyAll(start, items))
          expect(turns).toEqual(marks.map((at) => applyAll(start, items.slice(0, at + 1)).lastTurn?.index ?? null))
        }
      ),
      { numRuns: runs(300) }
    )
  })

  it("updatedAt is the latest line timestamp seen, never before any timestamp of the log", () => {
    fc.assert(
      fc.property(itemsArb(), (items) => {
        const state = applyAll(start, items)
        const stamps = items.flatMap((
          i
        ) => ("timestamp" in i && i.timestamp !== undefined ? [Date.parse(i.timestamp)] : []))
        expect(state.metadata.updatedAt).toBe(stamps.length === 0 ? state.metadata.createdAt : Math.max(...stamps))
      }),
      { numRuns: runs(300) }
    )
  })

  it("turn indexes are 0-based and consecutive and tokens never go negative", () => {
    fc.assert(
      fc.property(itemsArb(80), (items) => {
        const state = applyAll(start, items)
        expect(turnsOf(state).map((t) => t.index)).toEqual(turnsOf(state).map((_, i) => i))
        expect(state.metadata.tokensUsed).toBeGreaterThanOrEqual(0)
        for (const turn of turnsOf(state)) expect(turn.tokensUsed).toBeGreaterThanOrEqual(0)
        expect(observable(viaJson(state))).toEqual(observable(state))
      }),
      { numRuns: runs(300) }
    )
  })
})
