/**
 * The backfill an open starts (SPEC §11): when `backfill_state` is not complete, opening the
 * engine runs the backfill and waits for it up to a gate; past the gate it goes on in the
 * engine's scope and queries say how far it got.
 * @since 0.1.0
 */
import { Duration, Effect, Exit, Fiber, Option, type Scope } from "effect"
import type { DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import type { EngineError } from "./EngineError.js"
import * as BackfillState from "./replay/BackfillState.js"
import type { Replay } from "./replay/Replay.js"
import type { BatchProgress } from "./replay/Report.js"

/**
 * Where an unfinished backfill stands, as list results carry it. `done` and `total` are files;
 * they are known only while this engine runs the backfill (`null` when another process does).
 * @since 0.1.0
 * @category models
 */
export interface BackfillProgress {
  readonly status: Exclude<BackfillState.BackfillStatus, "complete">
  readonly done: number | null
  readonly total: number | null
}

/** @since 0.1.0 @category models */
export interface OpenBackfillOptions {
  /** Whether the open runs a pending backfill (a read-only open, or a command that is itself one, does not). */
  readonly run: boolean
  /** How long the open waits for the backfill (ms); `Infinity` waits to the end. */
  readonly gateMs: number
  /** Progress of the open's backfill, after every batch. */
  readonly onProgress?: (progress: BatchProgress) => void
}

/**
 * Starts a pending backfill (when `run`) in `scope`'s lifetime and waits up to the gate. A failure before the
 * gate fails the open; one after it leaves the backfill pending (its checkpoint kept) for the
 * next open. Returns what list results report: `undefined` once the backfill is complete.
 * @since 0.1.0
 */
export const start = (
  replay: Replay,
  options: OpenBackfillOptions
): Effect.Effect<
  Effect.Effect<BackfillProgress | undefined, DatabaseError>,
  EngineError,
  SqlDatabase | Scope.Scope
> =>
  Effect.gen(function*() {
    const state = yield* BackfillState.make
    const readStatus = Effect.map(state.read, (row) => row.status)
    const fromRow = Effect.map(
      readStatus,
      (status): BackfillProgress | undefined => status === "complete" ? undefined : { status, done: null, total: null }
    )
    if (!options.run || (yield* readStatus) === "complete") return fromRow
    let latest: BatchProgress | undefined
    const fiber = yield* Effect.forkScoped(replay.backfill({
      onProgress: (progress) => {
        latest = progress
        options.onProgress?.(progress)
      }
    }))
    const waited = Number.isFinite(options.gateMs)
      ? yield* Fiber.await(fiber).pipe(Effect.timeout(Duration.millis(options.gateMs)), Effect.option)
      : Option.some(yield* Fiber.await(fiber))
    if (Option.isSome(waited)) {
      const exit = waited.value
      if (Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
      if (exit.value.status === "complete") return Effect.succeed(undefined)
      // Otherwise another process holds the claim: its progress is its own, the row says how it stands.
    }
    /** From this engine's run while it goes on; the row once it ended here or runs elsewhere. */
    return Effect.suspend(() =>
      fiber.unsafePoll() === null
        ? Effect.succeed<BackfillProgress>({
          status: "running",
          done: latest?.scanned ?? 0,
          total: latest?.total ?? null
        })
        : fromRow
    )
  })
