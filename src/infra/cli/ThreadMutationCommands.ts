/**
 * `threads update ID` (git fields, name, memory mode), `threads archive|unarchive ID`,
 * `threads close|resume ID [--cascade]` and `threads delete ID` (SPEC §6, §10, §11).
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import type { MetadataPatch } from "../../domain/MetadataPatch.js"
import { InvalidInput } from "../engine/EngineError.js"
import { output, withEngine } from "./EngineRuntime.js"
import { db, home, hostId, json, threadIdArg } from "./GlobalOptions.js"
import { threadJson, threadLine } from "./ThreadJson.js"

const id = threadIdArg

/** `--git-sha S` sets, `--clear-git-sha` clears, neither keeps. */
const field = (name: string, what: string) => ({
  set: Options.text(name).pipe(Options.withDescription(`set the ${what}`), Options.optional),
  clear: Options.boolean(`clear-${name}`).pipe(Options.withDescription(`clear the ${what}`))
})

const sha = field("git-sha", "git commit sha")
const branch = field("git-branch", "git branch")
const originUrl = field("git-origin-url", "git origin url")
const name = field("name", "thread's user-given name")
const memoryMode = field("memory-mode", "memory mode (enabled, disabled, …)")

const fieldPatch = (flag: string, set: Option.Option<string>, clear: boolean) =>
  Option.isSome(set) && clear
    ? Effect.fail(new InvalidInput({ what: `--${flag} and --clear-${flag}`, reason: "give one or the other" }))
    : Effect.succeed(clear ? null : Option.getOrUndefined(set))

const update = Command.make(
  "update",
  {
    home,
    db,
    hostId,
    json,
    id,
    gitSha: sha.set,
    clearGitSha: sha.clear,
    gitBranch: branch.set,
    clearGitBranch: branch.clear,
    gitOriginUrl: originUrl.set,
    clearGitOriginUrl: originUrl.clear,
    name: name.set,
    clearName: name.clear,
    memoryMode: memoryMode.set,
    clearMemoryMode: memoryMode.clear
  },
  (options) =>
    Effect.gen(function*() {
      const fields = {
        gitSha: yield* fieldPatch("git-sha", options.gitSha, options.clearGitSha),
        gitBranch: yield* fieldPatch("git-branch", options.gitBranch, options.clearGitBranch),
        gitOriginUrl: yield* fieldPatch("git-origin-url", options.gitOriginUrl, options.clearGitOriginUrl),
        name: yield* fieldPatch("name", options.name, options.clearName),
        memoryMode: yield* fieldPatch("memory-mode", options.memoryMode, options.clearMemoryMode)
      }
      const patch = Object.fromEntries(
        Object.entries(fields).filter(([, value]) => value !== undefined)
      ) as MetadataPatch
      yield* withEngine(options, (engine) =>
        Effect.flatMap(engine.updateThreadMetadata(options.id, patch), (record) => {
          const thread = threadJson(record.metadata, record.placement)
          return output(
            options.json,
            thread,
            () =>
              `updated ${thread.id}: gitSha ${thread.gitSha ?? "-"}, gitBranch ${
                thread.gitBranch ?? "-"
              }, gitOriginUrl ${thread.gitOriginUrl ?? "-"}, name ${thread.name ?? "-"}, memoryMode ${
                record.metadata.memoryMode ?? "-"
              }`
          )
        }))
    })
).pipe(Command.withDescription("patch a thread's git fields, name and memory mode, recorded in its rollout first"))

const move = (name: "archive" | "unarchive") =>
  Command.make(
    name,
    { home, db, hostId, json, id },
    (options) =>
      withEngine(options, (engine) =>
        Effect.flatMap(
          name === "archive" ? engine.archiveThread(options.id) : engine.unarchiveThread(options.id),
          (record) => {
            const thread = threadJson(record.metadata, record.placement)
            return output(options.json, thread, () => `${threadLine(thread)}\n${name}d: ${thread.rolloutPath}`)
          }
        ))
  ).pipe(
    Command.withDescription(
      name === "archive"
        ? "move a thread's rollout, and its open descendants', under archived_sessions/ and mark them archived"
        : "move an archived thread's rollout back under sessions/ (its descendants stay archived)"
    )
  )

const cascade = (walk: string) => Options.boolean("cascade").pipe(Options.withDescription(walk))

const setStatus = (name: "close" | "resume") =>
  Command.make(
    name,
    {
      home,
      db,
      hostId,
      json,
      id,
      cascade: cascade(
        name === "close"
          ? "close its open descendants first, leaves first"
          : "reopen its ancestors first, root first"
      )
    },
    (options) =>
      withEngine(options, (engine) =>
        Effect.flatMap(
          (name === "close" ? engine.closeThread : engine.resumeThread)(options.id, { cascade: options.cascade }),
          (changed) => {
            const key = name === "close" ? "closed" : "resumed"
            return output(options.json, { [key]: changed }, () =>
              changed.length === 0
                ? `nothing to ${name}: ${options.id} is already ${name === "close" ? "closed" : "open"}`
                : changed.map((threadId) => `${key} ${threadId}`).join("\n"))
          }
        ))
  ).pipe(
    Command.withDescription(
      name === "close"
        ? "close a thread as an agent (the spawn edge to it closes), recorded in its rollout"
        : "reopen a closed thread, recorded in its rollout"
    )
  )

const remove = Command.make(
  "delete",
  { home, db, hostId, json, id },
  (options) =>
    withEngine(
      options,
      (engine) =>
        Effect.flatMap(engine.deleteThread(options.id), (files) =>
          output(options.json, { deleted: options.id, files }, () =>
            [
              `deleted ${options.id}`,
              ...files.map((file) =>
                `  removed ${file}`
              )
            ].join("\n")))
    )
).pipe(
  Command.withDescription("delete a thread: its rollout file(s), its rows, its goal, memory and log lines")
)

/** @since 0.1.0 */
export const threadMutationCommands = [
  update,
  move("archive"),
  move("unarchive"),
  setStatus("close"),
  setStatus("resume"),
  remove
] as const
