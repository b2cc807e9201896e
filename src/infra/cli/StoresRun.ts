/**
 * The database side of `goals` and `memories status` (GoalsCommand.ts, MemoriesCommand.ts),
 * loaded only when one of them runs: `--help` and the other commands never open SQLite.
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Console, Effect, Option } from "effect"
import type { Goal, GoalStatus } from "../../domain/Goal.js"
import { InvalidInput } from "../engine/EngineError.js"
import type { DatabaseError, SqlDatabase } from "../sql/SqlDatabase.js"
import * as MemoryJobs from "../stores/MemoryJobs.js"
import * as ThreadGoals from "../stores/ThreadGoals.js"

import { type DatabaseOptions, withExisting } from "./CliDatabase.js"

/**
 * Runs `use` on the resolved database alone; a database that does not exist is an error
 * (reading creates nothing), one this process cannot write is opened read-only.
 * @since 0.1.0
 */
export const withStateDatabase = <A, E, R>(
  options: DatabaseOptions,
  use: Effect.Effect<A, E, R>
): Effect.Effect<A, E | DatabaseError | InvalidInput, Exclude<R, SqlDatabase | SqlClient.SqlClient>> =>
  Effect.suspend(() => withExisting(options, use))

/** @since 0.1.0 */
export const goalJson = (goal: Goal) => ({
  ...goal,
  createdAt: new Date(goal.createdAt).toISOString(),
  updatedAt: new Date(goal.updatedAt).toISOString()
})

const goalText = (goal: Goal): string => {
  const budget = goal.tokenBudget === null ? "no budget" : `budget ${goal.tokenBudget}`
  return `${goal.threadId}  ${goal.status.padEnd(14)} ${goal.tokensUsed} tokens (${budget}), ${
    Math.round(goal.timeUsedMs / 1000)
  } s  goal ${goal.goalId}  updated ${new Date(goal.updatedAt).toISOString()}\n  ${goal.objective}`
}

/** `goals show ID`. @since 0.1.0 */
export const showGoal = (options: DatabaseOptions & { readonly id: string; readonly json: boolean }) =>
  withStateDatabase(
    options,
    Effect.gen(function*() {
      const goals = yield* ThreadGoals.make
      const goal = yield* goals.get(options.id)
      if (Option.isNone(goal)) {
        return yield* new InvalidInput({ what: `goals show ${options.id}`, reason: "the thread has no goal" })
      }
      yield* Console.log(options.json ? JSON.stringify(goalJson(goal.value), null, 2) : goalText(goal.value))
    })
  )

/** `goals list`. @since 0.1.0 */
export const listGoals = (
  options: DatabaseOptions & {
    readonly json: boolean
    readonly limit: number
    readonly status: Option.Option<GoalStatus>
  }
) =>
  withStateDatabase(
    options,
    Effect.gen(function*() {
      const goals = yield* ThreadGoals.make
      const listed = yield* goals.list({
        limit: options.limit,
        ...Option.match(options.status, { onNone: () => ({}), onSome: (value) => ({ status: value }) })
      })
      if (options.json) yield* Console.log(JSON.stringify(listed.map(goalJson), null, 2))
      else if (listed.length === 0) yield* Console.error("no goals")
      else yield* Console.log(listed.map(goalText).join("\n"))
    })
  )

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

/** `memories status`. @since 0.1.0 */
export const memoryStatus = (options: DatabaseOptions & { readonly json: boolean }) =>
  withStateDatabase(
    options,
    Effect.gen(function*() {
      const jobs = yield* MemoryJobs.make()
      const status = statusJson(yield* jobs.status)
      yield* Console.log(options.json ? JSON.stringify(status, null, 2) : text(status))
    })
  )
