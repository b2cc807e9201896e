#!/usr/bin/env node
/**
 * The `rollout-state` command line.
 * @since 0.1.0
 */
import { Command, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit } from "effect"
import { demoCommand } from "./DemoCommand.js"
import { goalsCommand } from "./GoalsCommand.js"
import { logsCommand } from "./LogsCommand.js"
import { memoriesCommand } from "./MemoriesCommand.js"
import { backfillCommand, rebuildCommand, reconcileCommand, verifyCommand } from "./ProjectionCommands.js"
import { scanCommand } from "./ScanCommand.js"
import * as Signals from "./Signals.js"
import { threadsCommand } from "./ThreadsCommand.js"

const root = Command.make("rollout-state").pipe(
  Command.withDescription("event-sourced state for coding-agent rollouts"),
  Command.withSubcommands([
    demoCommand,
    backfillCommand,
    rebuildCommand,
    reconcileCommand,
    verifyCommand,
    threadsCommand,
    scanCommand,
    logsCommand,
    memoriesCommand,
    goalsCommand
  ])
)

const run = Command.run(root, { name: "rollout-state", version: "0.1.0" })

/** Exit 2 for usage and I/O errors, with the error's own message (it names the place). */
const program = Effect.suspend(() => run(process.argv)).pipe(
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
