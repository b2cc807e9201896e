/**
 * Replaying the log into the projections (SPEC §4): backfill, rebuild, reconcile and verify,
 * as one service over the engine's database and projector.
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { HomeNotFound } from "../../rollout/RolloutFiles.js"
import type { DatabaseError } from "../../sql/SqlDatabase.js"
import * as Backfill from "./Backfill.js"
import * as Rebuild from "./Rebuild.js"
import * as Reconcile from "./Reconcile.js"
import type { BackfillReport, RunOptions } from "./Report.js"
import * as Verify from "./Verify.js"

/** @since 0.1.0 @category models */
export interface Replay {
  readonly backfill: (
    options?: RunOptions & { readonly restart?: boolean }
  ) => Effect.Effect<BackfillReport, DatabaseError | HomeNotFound>
  readonly rebuild: (options?: RunOptions) => Effect.Effect<BackfillReport, DatabaseError | HomeNotFound>
  readonly reconcile: (
    options: { readonly repair: boolean } & RunOptions
  ) => Effect.Effect<Reconcile.ReconcileReport, DatabaseError | HomeNotFound>
  readonly verify: (options?: RunOptions) => Effect.Effect<Verify.VerifyReport, DatabaseError | HomeNotFound>
}

/** @since 0.1.0 @category tags */
export const Replay = Context.GenericTag<Replay>("rollout-state/Replay")

/** @since 0.1.0 @category constructors */
export const make = Effect.gen(function*() {
  return Replay.of({
    backfill: yield* Backfill.make,
    rebuild: yield* Rebuild.make,
    reconcile: yield* Reconcile.make,
    verify: yield* Verify.make
  })
})

/** @since 0.1.0 @category layers */
export const layer = Layer.effect(Replay, make)
