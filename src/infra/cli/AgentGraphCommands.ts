/**
 * `threads children|descendants|ancestors ID` (SPEC §5, §11): the agent graph around a thread.
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import type { SpawnStatus } from "../../domain/RolloutItem.js"
import type { Engine } from "../engine/Engine.js"
import { output, withEngine } from "./EngineRuntime.js"
import { db, home, hostId, json, threadIdArg } from "./GlobalOptions.js"

const status = Options.choice("status", ["open", "closed"]).pipe(
  Options.withDescription("only through spawn edges with this status"),
  Options.optional
)

const walk = (
  name: "children" | "descendants",
  description: string,
  list: (engine: Engine, threadId: string, status: SpawnStatus | undefined) => ReturnType<Engine["agentChildren"]>
) =>
  Command.make(
    name,
    { home, db, hostId, json, id: threadIdArg, status },
    (options) =>
      withEngine(options, (engine) =>
        Effect.flatMap(list(engine, options.id, Option.getOrUndefined(options.status)), (items) =>
          output(options.json, { items }, () =>
            items.length === 0 ? `no ${name}` : items.join("\n"))))
  ).pipe(Command.withDescription(description))

const ancestors = Command.make(
  "ancestors",
  { home, db, hostId, json, id: threadIdArg },
  (options) =>
    withEngine(
      options,
      (engine) =>
        Effect.flatMap(engine.agentAncestors(options.id), (items) =>
          output(options.json, { items }, () => items.length === 0 ? "no ancestors" : items.join("\n")))
    )
).pipe(Command.withDescription("the threads above a thread, root first (the cascade resume order)"))

/** @since 0.1.0 */
export const agentGraphCommands = [
  walk(
    "children",
    "the threads a thread spawned, by child id",
    (engine, id, s) => engine.agentChildren(id, s)
  ),
  walk(
    "descendants",
    "every thread spawned below a thread, breadth-first by depth then id (cascade close walks it from the end)",
    (engine, id, s) => engine.agentDescendants(id, s)
  ),
  ancestors
] as const
