/**
 * `threads update ID` (git fields) and `threads archive|unarchive ID` (SPEC §6, §10).
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import type { GitPatch } from "../../domain/GitPatch.js"
import { InvalidInput } from "../engine/EngineError.js"
import { output, withEngine } from "./EngineRuntime.js"
import { db, home, json, threadIdArg } from "./GlobalOptions.js"
import { threadJson, threadLine } from "./ThreadJson.js"

const id = threadIdArg

/** `--git-sha S` sets, `--clear-git-sha` clears, neither keeps. */
const gitField = (name: string, what: string) => ({
  set: Options.text(name).pipe(Options.withDescription(`set the ${what}`), Options.optional),
  clear: Options.boolean(`clear-${name}`).pipe(Options.withDescription(`clear the ${what}`))
})

const sha = gitField("git-sha", "git commit sha")
const branch = gitField("git-branch", "git branch")
const originUrl = gitField("git-origin-url", "git origin url")

const fieldPatch = (flag: string, set: Option.Option<string>, clear: boolean) =>
  Option.isSome(set) && clear
    ? Effect.fail(new InvalidInput({ what: `--${flag} and --clear-${flag}`, reason: "give one or the other" }))
    : Effect.succeed(clear ? null : Option.getOrUndefined(set))

const update = Command.make(
  "update",
  {
    home,
    db,
    json,
    id,
    gitSha: sha.set,
    clearGitSha: sha.clear,
    gitBranch: branch.set,
    clearGitBranch: branch.clear,
    gitOriginUrl: originUrl.set,
    clearGitOriginUrl: originUrl.clear
  },
  (options) =>
    Effect.gen(function*() {
      const fields = {
        gitSha: yield* fieldPatch("git-sha", options.gitSha, options.clearGitSha),
        gitBranch: yield* fieldPatch("git-branch", options.gitBranch, options.clearGitBranch),
        gitOriginUrl: yield* fieldPatch("git-origin-url", options.gitOriginUrl, options.clearGitOriginUrl)
      }
      const patch = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as GitPatch
      yield* withEngine(options, (engine) =>
        Effect.flatMap(engine.updateThreadMetadata(options.id, patch), (record) => {
          const thread = threadJson(record.metadata, record.placement)
          return output(options.json, thread, () =>
            `updated ${thread.id}: gitSha ${thread.gitSha ?? "-"}, gitBranch ${thread.gitBranch ?? "-"}, gitOriginUrl ${
              thread.gitOriginUrl ?? "-"
            }`)
        }))
    })
).pipe(Command.withDescription("patch a thread's git fields, recorded in its rollout first"))

const move = (name: "archive" | "unarchive") =>
  Command.make(
    name,
    { home, db, json, id },
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
        ? "move a thread's rollout under archived_sessions/ and mark it archived"
        : "move an archived thread's rollout back under sessions/"
    )
  )

/** @since 0.1.0 */
export const threadMutationCommands = [update, move("archive"), move("unarchive")] as const
