/**
 * The `rollout-state` command line.
 * @since 0.1.0
 */
import { Command, ValidationError } from "@effect/cli"
// Subpaths: the package index also loads undici (1 MB), which no command uses.
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit } from "effect"
import { demoCommand } from "./DemoCommand.js"
import { goalsCommand } from "./GoalsCommand.js"
import { commandAt, commandHelp, normalizeArgv, renderHelp } from "./Help.js"
import { logsCommand } from "./LogsCommand.js"
import { memoriesCommand } from "./MemoriesCommand.js"
import { backfillCommand, rebuildCommand, reconcileCommand, verifyCommand } from "./ProjectionCommands.js"
import { scanCommand } from "./ScanCommand.js"
import { searchCommand } from "./SearchCommand.js"
import * as Signals from "./Signals.js"
import { statsCommand } from "./StatsCommand.js"
import { threadsCommand } from "./ThreadsCommand.js"
import { watchCommand } from "./WatchCommand.js"

const root = Command.make("rollout-state").pipe(
  Command.withDescription("event-sourced state for coding-agent rollouts"),
  Command.withSubcommands([
    demoCommand,
    backfillCommand,
    rebuildCommand,
    reconcileCommand,
    verifyCommand,
    threadsCommand,
    searchCommand,
    scanCommand,
    logsCommand,
    watchCommand,
    statsCommand,
    memoriesCommand,
    goalsCommand
  ])
)

const VERSION = "0.1.0"
const run = Command.run(root, { name: "rollout-state", version: VERSION })

/**
 * Help is ours (Help.ts); so is a command path that stops at a group (`rollout-state threads`);
 * @effect/cli parses the rest, its global options moved behind the subcommand.
 */
const dispatch = Effect.suspend(() => {
  const tree = commandHelp(root)
  const argv = normalizeArgv(tree, process.argv.slice(2))
  if (argv.args.includes("--wizard")) {
    return Effect.zipRight(
      Console.error("--wizard: not offered; `rollout-state <command> --help` lists a command's options"),
      Effect.sync(() => {
        process.exitCode = 2
      })
    )
  }
  // Only a group stops there: a command whose options all have defaults runs bare (`demo`).
  const atGroup = argv.args.length === argv.path.length && !argv.args.includes("--version") &&
    (commandAt(tree, argv.path)?.children.length ?? 0) > 0
  if (argv.help && argv.args.includes("--json")) {
    // Machine-readable help: the command tree with every option (test/package/Readme.test.ts).
    return Console.log(JSON.stringify(tree, null, 2))
  }
  if (argv.help || atGroup) {
    const help = renderHelp(tree, argv.path, VERSION)!
    // A bare group is a usage error that shows the commands; asking for help is not.
    return argv.help || argv.path.length === 0 ? Console.log(help) : Effect.zipRight(
      Console.error(help),
      Effect.sync(() => {
        process.exitCode = 2
      })
    )
  }
  return run([...process.argv.slice(0, 2), ...argv.args])
})

/** Exit 2 for usage and I/O errors, with the error's own message (it names the place). */
const program = dispatch.pipe(
  Effect.catchAll((error) =>
    Effect.gen(function*() {
      if (!ValidationError.isValidationError(error)) {
        const message = error instanceof Error ? error.message : String(error)
        yield* Console.error(`rollout-state: ${message}`)
      }
      process.exitCode = 2
    })
  ),
  Effect.provide(NodeContext.layer)
)

Signals.install()

NodeRuntime.runMain(program, {
  disableErrorReporting: false,
  teardown: (exit, onExit) => {
    const signal = Signals.receivedSignal()
    if (signal !== undefined) {
      if (!Signals.wasReported()) process.stderr.write(`rollout-state: interrupted by ${signal}\n`)
      onExit(Signals.exitCodeOf(signal))
    } else if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) onExit(2)
    else onExit(typeof process.exitCode === "number" ? process.exitCode : 0)
  }
})
