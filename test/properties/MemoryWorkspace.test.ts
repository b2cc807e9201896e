/**
 * The memory workspace under interleavings of phase-2 workers (issue 17: the interleaving
 * properties of issue 5 extended to the workspace's transitions), on a real folder with the
 * real git library and one database connection shared by the workers, as in one process.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Either, FastCheck as fc, Option, TestClock, TestContext, Tuple } from "effect"
import * as git from "isomorphic-git"
import * as fs from "node:fs"
import { join } from "node:path"
import * as Rules from "../../src/domain/MemoryJobs.js"
import { type MemoryJobPolicy, PHASE2_KEY, PHASE2_KIND } from "../../src/domain/MemoryJobs.js"
import { MemoryJobs } from "../../src/infra/stores/MemoryJobs.js"
import { MemoryWorkspace } from "../../src/infra/stores/MemoryWorkspace.js"
import { runs, timeoutFor } from "../fixtures/arbitraries.js"
import { input, tempHome, workspaceLayer } from "../fixtures/memoryWorkspace.js"

const HOUR = 3_600_000
const WORKERS = 3
const LEASE = 4 * HOUR
const policy: Partial<MemoryJobPolicy> = { phase2LeaseMs: LEASE, phase2CooldownMs: 0 }
const INPUTS = ["ann", "bob", "cid", "dot"].map((name) => input(name))

type Op =
  | { readonly kind: "claim" | "heartbeat" | "succeed" | "prepare" | "writeDiff" | "reset" }
  | { readonly kind: "sync"; readonly inputs: ReadonlyArray<number> }
  | { readonly kind: "edit"; readonly text: string }
  /** The worker resets while `rival` claims after the clock moves on by `delta` (around the lease end). */
  | {
    readonly kind: "resetRacingClaim"
    readonly rival: number
    readonly delta: "remaining" | "after" | "lease"
    readonly rivalFirst: boolean
    readonly turns: number | "swapping"
  }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "claim" as const }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("heartbeat" as const, "succeed" as const).map((kind) => ({ kind }))
  },
  { weight: 3, arbitrary: fc.constantFrom("prepare" as const, "writeDiff" as const).map((kind) => ({ kind })) },
  {
    weight: 3,
    arbitrary: fc.subarray([0, 1, 2, 3]).map((inputs) => ({ kind: "sync" as const, inputs }))
  },
  { weight: 1, arbitrary: fc.constantFrom("a", "b").map((text) => ({ kind: "edit" as const, text })) },
  { weight: 3, arbitrary: fc.constant({ kind: "reset" as const }) },
  {
    weight: 7,
    arbitrary: fc.record({
      rival: fc.nat(WORKERS - 1),
      delta: fc.constantFrom("remaining" as const, "after" as const, "lease" as const),
      // Which of the two fibers starts first.
      rivalFirst: fc.boolean(),
      // Event-loop turns the rival waits first, so its claim can land anywhere in the reset's file work.
      // Or until the repositories are being swapped: where a check-then-act without the lock would let it in.
      turns: fc.oneof(fc.constant(0), fc.nat(400), fc.constant("swapping" as const), fc.constant("swapping" as const))
    }).map((o) => ({ kind: "resetRacingClaim" as const, ...o }))
  }
)
const stepArb = fc.record({
  worker: fc.nat(WORKERS - 1),
  // Most steps are the last claimer's, as owners do most of the work.
  byClaimer: fc.nat(2).map((n) => n > 0),
  op: opArb,
  advance: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.nat(HOUR) },
    { weight: 2, arbitrary: fc.constant(LEASE - 1) },
    { weight: 2, arbitrary: fc.constant(LEASE + 1) }
  )
})

/** The workspace's files (without `.git`) and the commit its branch points at, read synchronously. */
const snapshot = (root: string) => {
  const files: Record<string, string> = {}
  const walk = (dir: string, prefix: string) => {
    if (!fs.existsSync(dir)) return
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === ".git") continue
      const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`
      if (entry.isDirectory()) walk(join(dir, entry.name), path)
      else files[path] = fs.readFileSync(join(dir, entry.name), "utf8")
    }
  }
  walk(root, "")
  return { files, head: headOf(root) }
}
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}
/** The test clock, stopped at `ms`. */
const clockAt = (ms: number) =>
  Effect.map(Effect.clock, (clock): Clock.Clock =>
    Object.assign(Object.create(clock) as Clock.Clock, {
      unsafeCurrentTimeMillis: () => ms,
      unsafeCurrentTimeNanos: () => BigInt(ms) * 1_000_000n,
      currentTimeMillis: Effect.succeed(ms),
      currentTimeNanos: Effect.succeed(BigInt(ms) * 1_000_000n)
    }))

/** Waits until the reset is swapping repositories (the old one moved aside), or is over. */
const untilSwapping = async (root: string, done: () => boolean) => {
  while (!done() && !fs.readdirSync(root).some((name) => name.startsWith(".git-old-"))) {
    await new Promise((resolve) => setImmediate(resolve))
  }
}
const headOf = (root: string): string => {
  const ref = join(root, ".git", "refs", "heads", "main")
  return fs.existsSync(ref)
    ? fs.readFileSync(ref, "utf8").trim()
    : fs.existsSync(join(root, ".git"))
    ? "no-ref"
    : "none"
}

describe("MemoryWorkspace interleavings", () => {
  it.effect(
    "property: under random interleavings of phase-2 workers, only the lock's holder changes the workspace, a stale owner never resets the baseline, and two workers never both own phase 2 while the workspace is being reset",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(stepArb, { minLength: 6, maxLength: 20 }), (steps) =>
            Effect.runPromise(
              Effect.scoped(Effect.gen(function*() {
                const home = yield* tempHome
                yield* Effect.gen(function*() {
                  const jobs = yield* MemoryJobs
                  const workspace = yield* MemoryWorkspace
                  const root = workspace.root
                  const tokens = Array.from({ length: WORKERS }, () => "never-held")
                  let lastClaimer: number | undefined
                  const job = Effect.map(jobs.getJob(PHASE2_KIND, PHASE2_KEY), Option.getOrUndefined)
                  const owns = (j: Rules.Job | undefined, w: number, now: number) => Rules.isOwner(j, tokens[w]!, now)
                  const claim = (w: number) =>
                    Effect.tap(jobs.claimPhase2({ workerId: `w${w}` }), (outcome) =>
                      Effect.sync(() => {
                        if (outcome._tag === "Claimed") {
                          tokens[w] = outcome.ownershipToken
                          lastClaimer = w
                        }
                      }))

                  for (const step of steps) {
                    yield* TestClock.adjust(step.advance)
                    const now = yield* Clock.currentTimeMillis
                    const w = step.byClaimer ? lastClaimer ?? step.worker : step.worker
                    // Until a repository exists, a step that needs one claims the lock and prepares it
                    // instead: otherwise most steps of a run do nothing, and few runs reach a reset.
                    const preparing = !["claim", "heartbeat", "succeed", "prepare"].includes(step.op.kind) &&
                      headOf(root) === "none"
                    if (preparing) yield* claim(w)
                    const op: Op = preparing ? { kind: "prepare" } : step.op
                    const before = yield* job
                    const owner = owns(before, w, now)
                    const was = snapshot(root)
                    const writing = (effect: Effect.Effect<unknown, { readonly _tag: string }>) =>
                      Effect.gen(function*() {
                        const result = yield* Effect.either(effect)
                        if (owner) expect(result).toMatchObject({ _tag: "Right" })
                        else {
                          // Not the holder: refused, and nothing in the folder or its history changed.
                          expect(result).toMatchObject({ _tag: "Left", left: { reason: "not-owned" } })
                          expect(snapshot(root)).toEqual(was)
                        }
                        return result
                      })
                    const hasRepository = was.head !== "none"

                    switch (op.kind) {
                      case "claim": {
                        yield* claim(w)
                        break
                      }
                      case "heartbeat": {
                        yield* Effect.either(jobs.heartbeatPhase2({ ownershipToken: tokens[w]! }))
                        break
                      }
                      case "succeed": {
                        yield* Effect.either(jobs.succeedPhase2({ ownershipToken: tokens[w]!, completedWatermark: 0 }))
                        break
                      }
                      case "prepare": {
                        yield* writing(workspace.prepare(tokens[w]!))
                        if (owner) {
                          // An existing baseline is kept; a missing one is an empty first commit.
                          if (hasRepository) expect(headOf(root)).toBe(was.head)
                          else expect(yield* workspace.history).toHaveLength(1)
                        }
                        break
                      }
                      case "sync": {
                        if (!hasRepository) break
                        const chosen = op.inputs.map((i) => INPUTS[i]!)
                        yield* writing(workspace.sync(tokens[w]!, chosen))
                        if (owner) {
                          const summaries = Object.keys(snapshot(root).files).filter((p) =>
                            p.startsWith("rollout_summaries/")
                          )
                          expect(summaries).toHaveLength(chosen.length)
                        }
                        break
                      }
                      case "edit": {
                        if (!hasRepository) break
                        // Anyone may edit by hand; the next diff shows it.
                        fs.writeFileSync(join(root, "MEMORY.md"), op.text)
                        const diff = yield* workspace.diff
                        const inBaseline = yield* Effect.promise(() =>
                          git.readBlob({ fs, dir: root, oid: was.head, filepath: "MEMORY.md" }).then(
                            (b) => new TextDecoder().decode(b.blob),
                            () => undefined
                          )
                        )
                        expect(diff.changes.some((c) => c.path === "MEMORY.md")).toBe(inBaseline !== op.text)
                        break
                      }
                      case "writeDiff": {
                        if (!hasRepository) break
                        const result = yield* writing(workspace.writeDiff(tokens[w]!))
                        if (owner && Either.isRight(result)) {
                          const diff = result.right as { readonly dirty: boolean }
                          expect(fs.existsSync(join(root, "phase2_workspace_diff.md"))).toBe(diff.dirty)
                        }
                        break
                      }
                      case "reset": {
                        if (!hasRepository) break
                        const result = yield* writing(workspace.resetBaseline(tokens[w]!))
                        if (Either.isRight(result)) {
                          expect(yield* workspace.history).toEqual([result.right])
                          expect((yield* workspace.diff).dirty).toBe(false)
                        }
                        break
                      }
                      case "resetRacingClaim": {
                        if (!hasRepository) break
                        const rival = op.rival === w ? (w + 1) % WORKERS : op.rival
                        const remaining = before?.leaseUntil != null ? Math.max(0, before.leaseUntil - now) : 0
                        const delta = op.delta === "remaining"
                          ? remaining
                          : op.delta === "after"
                          ? remaining + 1
                          : LEASE + 1
                        let seenAtClaim: string | undefined
                        let resetDone = false
                        const resetting = Effect.either(workspace.resetBaseline(tokens[w]!)).pipe(
                          Effect.ensuring(Effect.sync(() => {
                            resetDone = true
                          }))
                        )
                        // The rival lives `delta` later than the resetter (its own clock): it can claim
                        // in the middle of the reset without the shared test clock making everyone wait.
                        const claiming = Effect.zipRight(
                          Effect.promise(() =>
                            op.turns === "swapping" ? untilSwapping(root, () => resetDone) : turns(op.turns)
                          ),
                          Effect.tap(claim(rival), (outcome) =>
                            Effect.sync(() => {
                              // What the rival sees the instant it holds the lock.
                              if (outcome._tag === "Claimed") seenAtClaim = headOf(root)
                            }))
                        ).pipe(Effect.withClock(yield* clockAt(now + delta)))
                        const [reset, rivalClaim] = op.rivalFirst
                          ? Tuple.swap(yield* Effect.all([claiming, resetting], { concurrency: "unbounded" }))
                          : yield* Effect.all([resetting, claiming], { concurrency: "unbounded" })
                        yield* TestClock.adjust(delta)
                        if (!owner) {
                          expect(reset).toMatchObject({ _tag: "Left", left: { reason: "not-owned" } })
                          expect(headOf(root)).toBe(was.head)
                        }
                        if (Either.isRight(reset)) {
                          expect(yield* workspace.history).toEqual([reset.right])
                          // A rival that got the lock got it after the swap, never in the middle of it.
                          if (rivalClaim._tag === "Claimed") expect(seenAtClaim).toBe(reset.right)
                        } else {
                          expect(headOf(root)).toBe(was.head)
                          if (rivalClaim._tag === "Claimed") expect(seenAtClaim).toBe(was.head)
                        }
                        // The holder before the race resets or loses the lock to the rival: one of the two, at least.
                        if (owner && delta < LEASE) {
                          expect(Either.isRight(reset) !== (rivalClaim._tag === "Claimed")).toBe(true)
                        }
                        break
                      }
                    }
                    // Nobody shares the lock.
                    const after = yield* job
                    const at = yield* Clock.currentTimeMillis
                    expect(tokens.filter((_, i) => owns(after, i, at)).length).toBeLessThanOrEqual(1)
                  }
                }).pipe(Effect.provide(workspaceLayer(home, policy)))
              })).pipe(Effect.provide(TestContext.TestContext))
            )),
          { numRuns: runs(12) }
        )
      ),
    timeoutFor(12, 240_000)
  )
})
