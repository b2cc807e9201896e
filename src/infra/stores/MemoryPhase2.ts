/**
 * One phase-2 consolidation run (SPEC §8, §11), in the reference's order: claim the global
 * lock, prepare the workspace, select the inputs, sync them in, diff against the baseline (no
 * change: succeed without consolidating), write the diff file, let the host consolidate
 * (heartbeating meanwhile), then, still owning the lock, reset the baseline and succeed. Any
 * failed step marks the job failed (backoff), falling back to `failIfUnowned` when the lease
 * was lost.
 * @since 0.1.0
 */
import { Data, Effect, Either } from "effect"
import type { Phase2ClaimOutcome, Phase2Selection } from "../../domain/MemoryJobs.js"
import type { WorkspaceChange, WorkspaceDiff } from "../../domain/MemoryWorkspace.js"
import { DatabaseError } from "../sqlite/Database.js"
import { JobNotOwned, MemoryJobs, type Phase2Input } from "./MemoryJobs.js"
import { MemoryWorkspace, MemoryWorkspaceError } from "./MemoryWorkspace.js"

/**
 * How a run ended.
 * @since 0.1.0
 * @category models
 */
export type Phase2Run = Data.TaggedEnum<{
  /** The lock was not claimed (running elsewhere, backoff or cooldown); nothing was touched. */
  NotClaimed: { readonly claim: Exclude<Phase2ClaimOutcome, { readonly _tag: "Claimed" }> }
  /** The synced workspace equals its baseline: the job succeeded without consolidating. */
  NotDirty: { readonly selected: number }
  /** Consolidated; the workspace's new baseline is commit `baseline`. */
  Consolidated: {
    readonly selected: number
    readonly changes: ReadonlyArray<WorkspaceChange>
    readonly baseline: string
  }
  /** Step `step` failed with `error`; the job is marked failed (or was not ours any more). */
  Failed: { readonly step: string; readonly error: string; readonly lostOwnership: boolean }
}>

/** @since 0.1.0 @category constructors */
export const Phase2Run = Data.taggedEnum<Phase2Run>()

/**
 * What the host's consolidation is given: the workspace folder, its diff (also written to
 * `phase2_workspace_diff.md` there) and the selected inputs.
 * @since 0.1.0
 * @category models
 */
export interface Consolidation {
  readonly root: string
  readonly diff: WorkspaceDiff
  readonly inputs: ReadonlyArray<Phase2Input>
  readonly ownershipToken: string
}

/** The reference's heartbeat period while consolidating. */
const HEARTBEAT_MS = 90_000

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error)

/** @since 0.1.0 */
export const run = <E, R>(options: {
  readonly workerId: string
  readonly consolidate: (consolidation: Consolidation) => Effect.Effect<void, E, R>
  readonly selection?: Partial<Phase2Selection>
  readonly heartbeatMs?: number
}): Effect.Effect<Phase2Run, DatabaseError, MemoryJobs | MemoryWorkspace | R> =>
  Effect.gen(function*() {
    const jobs = yield* MemoryJobs
    const workspace = yield* MemoryWorkspace
    const claim = yield* jobs.claimPhase2({ workerId: options.workerId })
    if (claim._tag !== "Claimed") return Phase2Run.NotClaimed({ claim })
    const token = claim.ownershipToken

    const failed = (step: string, error: unknown) =>
      Effect.gen(function*() {
        const reason = `${step}: ${describe(error)}`
        const lost = (error instanceof MemoryWorkspaceError && error.reason === "not-owned") ||
          error instanceof JobNotOwned
        const marked = yield* Effect.either(jobs.failPhase2({ ownershipToken: token, error: reason }))
        if (Either.isLeft(marked)) {
          if (!(marked.left instanceof JobNotOwned)) return yield* marked.left
          yield* jobs.failPhase2IfUnowned({ ownershipToken: token, error: reason }).pipe(
            Effect.catchIf((e): e is JobNotOwned => e instanceof JobNotOwned, () => Effect.void)
          )
        }
        return Phase2Run.Failed({ step, error: describe(error), lostOwnership: lost || Either.isLeft(marked) })
      })
    /** `effect`'s failure becomes a failed run (a database failure too: the job must not stay running). */
    const step = <A, E2, R2>(name: string, effect: Effect.Effect<A, E2, R2>) =>
      Effect.mapError(effect, (error) => ({ step: name, error }))

    const outcome = yield* Effect.gen(function*() {
      yield* step("prepare workspace", workspace.prepare(token))
      const inputs = yield* step("select inputs", jobs.selectPhase2Inputs(options.selection))
      yield* step("sync workspace", workspace.sync(token, inputs.selected))
      const diff = yield* step("write diff", workspace.writeDiff(token))
      const completedWatermark = Math.max(claim.inputWatermark, ...inputs.selected.map((i) => i.sourceUpdatedAt))
      const selected = inputs.selected.map((i) => ({ threadId: i.threadId, sourceUpdatedAt: i.sourceUpdatedAt }))
      if (!diff.dirty) {
        yield* step("succeed", jobs.succeedPhase2({ ownershipToken: token, completedWatermark, selected }))
        return Phase2Run.NotDirty({ selected: selected.length })
      }
      const period = options.heartbeatMs ?? HEARTBEAT_MS
      const heartbeats = jobs.heartbeatPhase2({ ownershipToken: token }).pipe(
        Effect.ignore,
        Effect.delay(period),
        Effect.forever
      )
      yield* step(
        "consolidate",
        Effect.raceFirst(
          options.consolidate({ root: workspace.root, diff, inputs: inputs.selected, ownershipToken: token }),
          heartbeats
        )
      )
      const baseline = yield* step("reset baseline", workspace.resetBaseline(token))
      yield* step("succeed", jobs.succeedPhase2({ ownershipToken: token, completedWatermark, selected }))
      return Phase2Run.Consolidated({ selected: selected.length, changes: diff.changes, baseline })
    }).pipe(Effect.either)
    if (Either.isRight(outcome)) return outcome.right
    const { error, step: name } = outcome.left
    if (error instanceof DatabaseError && name === "succeed") return yield* error
    return yield* failed(name, error)
  })
