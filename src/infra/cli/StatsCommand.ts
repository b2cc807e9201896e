/**
 * `rollout-state stats [--days N] [--top N]`: threads and tokens per day, per model and per
 * working directory over the last N days, as terminal bar charts (or `--json`), computed in
 * SQL over the projections (src/projections/ThreadStats.ts) of a database opened read-only.
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import type { StatsBucket, ThreadStats } from "../../projections/ThreadStats.js"
import { db, home, hostId, json, resolveHome } from "./GlobalOptions.js"
import { terminalWidth } from "./Table.js"

const days = Options.integer("days").pipe(
  Options.withPseudoName("N"),
  Options.withDescription("window: threads created in the last N days (UTC), 1-3650"),
  Options.withDefault(30)
)
const top = Options.integer("top").pipe(
  Options.withPseudoName("N"),
  Options.withDescription("models and working directories shown, 1-100"),
  Options.withDefault(10)
)

const compact = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)}G`
    : n >= 1e6
    ? `${(n / 1e6).toFixed(1)}M`
    : n >= 1e4
    ? `${Math.round(n / 1e3)}k`
    : String(n)

/** One chart: a label, a bar of tokens scaled to the widest, the counts. */
const chart = (title: string, rows: ReadonlyArray<StatsBucket>, width: number): string => {
  if (rows.length === 0) return `${title}\n  (none)`
  const labelWidth = Math.min(Math.max(...rows.map((r) => r.key.length)), 40)
  const countsWidth = 24
  const barWidth = Math.max(10, width - labelWidth - countsWidth - 4)
  const most = Math.max(...rows.map((r) => r.tokens), 1)
  const lines = rows.map((r) => {
    const label = r.key.length > labelWidth ? `…${r.key.slice(r.key.length - labelWidth + 1)}` : r.key
    const bar = "█".repeat(Math.round((r.tokens / most) * barWidth))
    return `  ${label.padEnd(labelWidth)}  ${bar.padEnd(barWidth)}  ${compact(r.tokens).padStart(7)} tok ${
      String(r.threads).padStart(6)
    } thr`
  })
  return [title, ...lines].join("\n")
}

const render = (stats: ThreadStats, width: number): string =>
  [
    `${new Date(stats.since).toISOString().slice(0, 10)} to ${
      new Date(stats.until).toISOString().slice(0, 10)
    }: ${stats.total.threads} threads, ${compact(stats.total.tokens)} tokens`,
    chart("tokens per day (UTC)", stats.perDay, width),
    chart("tokens per model", stats.perModel, width),
    chart("tokens per working directory", stats.perCwd, width)
  ].join("\n\n")

/** @since 0.1.0 */
export const statsCommand = Command.make(
  "stats",
  { home, db, hostId, json, days, top },
  (options) =>
    Effect.gen(function*() {
      if (options.days < 1 || options.days > 3650) {
        return yield* Effect.fail(new Error(`--days: ${options.days} is not between 1 and 3650`))
      }
      if (options.top < 1 || options.top > 100) {
        return yield* Effect.fail(new Error(`--top: ${options.top} is not between 1 and 100`))
      }
      const homeDir = resolveHome(options.home)
      const { readStats } = yield* Effect.promise(() => import("./StatsRun.js"))
      const until = Date.now()
      const stats = yield* readStats(options, homeDir, {
        since: until - options.days * 86_400_000,
        until,
        top: options.top
      })
      yield* options.json ? Console.log(JSON.stringify(stats, null, 2)) : Console.log(render(stats, terminalWidth()))
    })
).pipe(Command.withDescription("threads and tokens per day, model and working directory, as bar charts"))
