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
import { db, home, hostId, json, resolveHome } from "./GlobalOptions.js"

const statusCommand = Command.make(
  "status",
  { home, db, hostId, json },
  (options) => Effect.flatMap(Effect.promise(() => import("./StoresRun.js")), (stores) => stores.memoryStatus(options))
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
