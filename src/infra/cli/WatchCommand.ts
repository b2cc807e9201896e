/**
 * `rollout-state watch`: keeps the database current while another process writes the home's
 * rollouts (issue 18). File-system notifications wake it; a poll every `--interval` ms is the
 * fallback for file systems that send none. Each wake runs the engine's catch-up: grown files,
 * moved files followed by id (a torn last line waits for its newline), files added since and
 * files gone. A status line on a TTY; with `--json`, one JSON object per change. SIGINT/SIGTERM
 * stop it between passes (exit 130/143, SPEC §12).
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { type FSWatcher, watch } from "node:fs"
import { withEngine } from "./EngineRuntime.js"
import { db, home, hostId, json, resolveHome } from "./GlobalOptions.js"
import * as Signals from "./Signals.js"
import { colorAllowed } from "./Table.js"

const interval = Options.integer("interval").pipe(
  Options.withPseudoName("MS"),
  Options.withDescription("poll period in ms, the fallback when no notification comes"),
  Options.withDefault(500)
)

/** Notifications come in bursts (a write, a rename): one pass after the burst settles. */
const SETTLE_MS = 20

/** @since 0.1.0 */
export interface WatchChange {
  readonly time: string
  /** Threads whose file grew or moved, projected again. */
  readonly updated: number
  /** Threads of new files, projected for the first time. */
  readonly added: number
  readonly missingFiles: ReadonlyArray<string>
  readonly failed: ReadonlyArray<{ readonly path: string; readonly reason: string }>
}

/** Wakes a waiting pass on a notification, or after `ms`. */
const makeWaker = (homeDir: string) => {
  let wake: (() => void) | undefined
  let pending = false
  const notify = () => {
    pending = true
    const resolve = wake
    wake = undefined
    if (resolve !== undefined) setTimeout(resolve, SETTLE_MS)
  }
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(homeDir, { recursive: true, persistent: false }, notify)
    watcher.on("error", () => {
      // The folder went away or the platform gave up: polling carries on.
      watcher?.close()
      watcher = undefined
    })
  } catch {
    watcher = undefined
  }
  return {
    wait: (ms: number) =>
      Effect.async<void>((resume) => {
        if (pending) {
          pending = false
          resume(Effect.void)
          return
        }
        const timer = setTimeout(() => {
          wake = undefined
          resume(Effect.void)
        }, ms)
        wake = () => {
          clearTimeout(timer)
          pending = false
          resume(Effect.void)
        }
        return Effect.sync(() => clearTimeout(timer))
      }),
    close: () => watcher?.close()
  }
}

/** @since 0.1.0 */
export const watchCommand = Command.make(
  "watch",
  { home, db, hostId, json, interval },
  (options) =>
    withEngine(options, (engine) =>
      Effect.gen(function*() {
        if (options.interval < 10 || options.interval > 60_000) {
          return yield* Effect.fail(new Error(`--interval: ${options.interval} is not between 10 and 60000`))
        }
        const homeDir = resolveHome(options.home)
        const waker = makeWaker(homeDir)
        const status = !options.json && colorAllowed(process.stdout)
        let changes = 0
        let missingBefore = new Set<string>()
        const pass = Effect.gen(function*() {
          // The engine's open ran the backfill to its end, so catch-up finds the files added since.
          const caught = yield* engine.catchUp
          const missing = caught.missingFiles.filter((path) => !missingBefore.has(path))
          missingBefore = new Set(caught.missingFiles)
          const change: WatchChange = {
            time: new Date().toISOString(),
            updated: caught.caughtUp,
            added: caught.added,
            missingFiles: missing,
            failed: caught.failed
          }
          if (change.updated + change.added + change.missingFiles.length + change.failed.length === 0) return
          changes++
          if (options.json) return yield* Console.log(JSON.stringify(change))
          const text = `${change.time.slice(11, 19)} ${change.updated} updated, ${change.added} added${
            change.missingFiles.length > 0 ? `, ${change.missingFiles.length} files gone` : ""
          }${change.failed.length > 0 ? `, ${change.failed.length} failed` : ""}`
          if (status) process.stdout.write(`\r\x1b[2Kwatching ${homeDir}: ${changes} changes; last ${text}`)
          else yield* Console.log(text)
        }).pipe(
          // A pass that fails (a file vanishing mid-read, a busy database) is reported; the next one retries.
          Effect.catchAll((error) => Console.error(`watch: ${error.message}`))
        )
        yield* Console.error(`watching ${homeDir} (Ctrl-C stops)`)
        yield* Effect.forever(Effect.zipRight(pass, waker.wait(options.interval))).pipe(
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              waker.close()
              if (status) process.stdout.write("\n")
              Signals.markReported()
              process.stderr.write(`watch stopped by ${Signals.receivedSignal() ?? "an interruption"}\n`)
            })
          )
        )
      }))
).pipe(
  Command.withDescription("keep the database current while the home is written; one JSON object per change with --json")
)
