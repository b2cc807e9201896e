/**
 * `memories status`: where the memory jobs of a home's database stand (SPEC §8, §11): phase-1
 * jobs by status and live leases, stored outputs, and phase 2's lock: status, owner, lease,
 * backoff, cooldown and last success. `memories workspace diff`: the memory workspace
 * (`<home>/memories`) against its baseline, as phase 2 would see it. Reading only.
 * @since 0.1.0
 */
import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { join } from "node:path"
import * as MemoryJobs from "../stores/MemoryJobs.js"
import { db, home, json, resolveHome } from "./GlobalOptions.js"
import { withStateDatabase } from "./GoalsCommand.js"

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** @since 0.1.0 */
export const statusJson = (status: MemoryJobs.MemoryStatus) => {
  const job = status.phase2
  const leased = job !== null && job.status === "running" && job.leaseUntil !== null && job.leaseUntil > status.now
  return {
    stage1: status.stage1,
    outputs: status.outputs,
    phase2: job === null ? null : {
      status: job.status,
      owner: leased ? job.workerId : null,
      leaseUntil: leased ? iso(job.leaseUntil) : null,
      retryAt: job.retryAt !== null && job.retryAt > status.now ? iso(job.retryAt) : null,
      retryRemaining: job.retryRemaining,
      cooldownUntil: status.phase2CooldownUntil !== null && status.phase2CooldownUntil > status.now
        ? iso(status.phase2CooldownUntil)
        : null,
      lastSuccess: job.lastError === null && job.finishedAt !== null ? iso(job.finishedAt) : null,
      lastError: job.lastError,
      inputWatermark: job.inputWatermark,
      lastSuccessWatermark: job.lastSuccessWatermark
    }
  }
}

const text = (status: ReturnType<typeof statusJson>): string => {
  const s = status.stage1
  const lines = [
    `phase 1: ${s.pending} pending, ${s.running} running (${s.leased} with a live lease), ${s.done} done, ${s.error} failed; ${status.outputs} outputs`
  ]
  const p = status.phase2
  if (p === null) lines.push("phase 2: never run")
  else {
    lines.push(
      `phase 2: ${p.status}${
        p.owner === null ? "" : ` by ${p.owner} until ${p.leaseUntil}`
      }; ${p.retryRemaining} retries left`
    )
    if (p.retryAt !== null) lines.push(`  backing off until ${p.retryAt}: ${p.lastError ?? ""}`)
    if (p.cooldownUntil !== null) lines.push(`  cooling down until ${p.cooldownUntil}`)
    lines.push(`  last success: ${p.lastSuccess ?? "none"}`)
  }
  return lines.join("\n")
}

const statusCommand = Command.make(
  "status",
  { home, db, json },
  (options) =>
    withStateDatabase(
      options,
      Effect.gen(function*() {
        const jobs = yield* MemoryJobs.make()
        const status = statusJson(yield* jobs.status)
        yield* Console.log(options.json ? JSON.stringify(status, null, 2) : text(status))
      })
    )
).pipe(Command.withDescription("memory jobs: phase-1 counts and leases, phase 2's lock, cooldown and last success"))

const workspaceDiffCommand = Command.make(
  "diff",
  { home, json },
  (options) =>
    Effect.gen(function*() {
      // The workspace module (and the git library it loads) only when the command runs.
      const { diffAt } = yield* Effect.promise(() => import("../stores/MemoryWorkspace.js"))
      const root = join(resolveHome(options.home), "memories")
      const diff = yield* diffAt(root)
      if (options.json) yield* Console.log(JSON.stringify({ root, ...diff }, null, 2))
      else if (!diff.dirty) yield* Console.error(`${root}: no changes against the baseline`)
      else {
        yield* Console.error(diff.changes.map((c) => `${c.status.padEnd(8)} ${c.path}`).join("\n"))
        yield* Console.log(diff.patch.replace(/\n$/, ""))
      }
    })
).pipe(Command.withDescription("the memory workspace against its baseline: changed files and their unified diff"))

const workspaceCommand = Command.make("workspace").pipe(
  Command.withDescription("the git-backed memory workspace (<home>/memories)"),
  Command.withSubcommands([workspaceDiffCommand])
)

/** @since 0.1.0 */
export const memoriesCommand = Command.make("memories").pipe(
  Command.withDescription("memory jobs and the memory workspace"),
  Command.withSubcommands([statusCommand, workspaceCommand])
)
