/**
 * SPEC §12: thread ids are UUIDs, checked at every entry before a file or a row is touched, and
 * no path the engine writes is outside the home. The home sits deep inside a fresh sandbox, so
 * an id climbing out of it with `..` lands in the sandbox, where the test sees it.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Layer } from "effect"
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { isThreadId } from "../../src/domain/ThreadId.js"
import * as Engine from "../../src/infra/engine/Engine.js"
import { runs, timeoutFor } from "../fixtures/arbitraries.js"

const root = mkdtempSync(join(tmpdir(), "thread-ids-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let sandboxes = 0

/** Every entry under `dir` (lstat, links not followed), as `path size` lines. */
const tree = (dir: string): Array<string> => {
  const out: Array<string> = []
  const visit = (path: string) => {
    const info = lstatSync(path)
    out.push(`${relative(dir, path)} ${info.isDirectory() ? "dir" : info.size}`)
    if (info.isDirectory()) { for (const name of readdirSync(path)) visit(join(path, name)) }
  }
  visit(dir)
  return out.sort()
}

const pathish = fc.constantFrom(
  "",
  "a/b",
  "..",
  "../x",
  "../../../../x",
  "../../../../../../../tmp/x",
  "/tmp/x",
  "/etc/passwd",
  "x\u0000y",
  "019a9f10-1111-7222-8333-444455556666/../../x",
  "019A9F10-1111-7222-8333-444455556666",
  " 019a9f10-1111-7222-8333-444455556666",
  "019a9f10-1111-7222-8333-444455556666\n",
  "019a9f101111722283334444555566666",
  "{019a9f10-1111-7222-8333-444455556666}"
)

/** Mostly bad ids (path-ish, arbitrary text, bytes), some valid ones, and the threads made so far. */
const idArb = fc.oneof(
  { weight: 4, arbitrary: pathish.map((id) => ({ id })) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map((id) => ({ id })) },
  {
    weight: 2,
    arbitrary: fc.array(fc.constantFrom("..", "a", "", ".", "x.jsonl"), { maxLength: 6 }).map((parts) => ({
      id: parts.join("/")
    }))
  },
  { weight: 2, arbitrary: fc.uuid().map((id) => ({ id })) },
  { weight: 3, arbitrary: fc.nat(5).map((made) => ({ made })) }
)

const OPERATIONS = [
  "createThread",
  "append",
  "getThread",
  "listTurns",
  "getThreadDetail",
  "updateThreadMetadata",
  "archiveThread",
  "unarchiveThread",
  "closeThread",
  "resumeThread",
  "deleteThread",
  "agentChildren",
  "agentDescendants",
  "agentAncestors",
  "resolveAgentPath",
  "listThreadsByParent"
] as const

type Operation = typeof OPERATIONS[number]

interface Call {
  readonly operation: Operation
  /** A given id, or the index of a thread made earlier in the run. */
  readonly id: { readonly id: string } | { readonly made: number }
}

const callArb: fc.Arbitrary<Call> = fc.record({ operation: fc.constantFrom(...OPERATIONS), id: idArb })

const call = (
  engine: Engine.Engine,
  operation: Operation,
  id: string
): Effect.Effect<unknown, { readonly _tag: string }> => {
  switch (operation) {
    case "createThread":
      return engine.createThread({ id, cwd: "/w" })
    case "append":
      return engine.append(id, [{ type: "event_msg", payload: { type: "user_message", message: "hi" } }])
    case "getThread":
      return engine.getThread(id)
    case "listTurns":
      return engine.listTurns(id, { limit: 5 })
    case "getThreadDetail":
      return engine.getThreadDetail(id)
    case "updateThreadMetadata":
      return engine.updateThreadMetadata(id, { gitSha: "c0ffee" })
    case "archiveThread":
      return engine.archiveThread(id)
    case "unarchiveThread":
      return engine.unarchiveThread(id)
    case "closeThread":
      return engine.closeThread(id, { cascade: true })
    case "resumeThread":
      return engine.resumeThread(id, { cascade: true })
    case "deleteThread":
      return engine.deleteThread(id)
    case "agentChildren":
      return engine.agentChildren(id, "open")
    case "agentDescendants":
      return engine.agentDescendants(id, "closed")
    case "agentAncestors":
      return engine.agentAncestors(id)
    case "resolveAgentPath":
      return engine.resolveAgentPath("agent_1", id)
    case "listThreadsByParent":
      return engine.listThreads({ parentThreadId: id })
  }
}

const run = (calls: ReadonlyArray<Call>) =>
  Effect.gen(function*() {
    const sandbox = join(root, String(sandboxes++))
    const home = join(sandbox, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "home")
    mkdirSync(home, { recursive: true })
    const outsideBefore = tree(sandbox).filter((line) => !line.startsWith(relative(sandbox, home) + "/"))
    const made: Array<string> = []
    yield* Effect.gen(function*() {
      const engine = yield* Engine.Engine
      for (const { id: pick, operation } of calls) {
        const id = "id" in pick
          ? pick.id
          : made[pick.made % Math.max(made.length, 1)] ?? "00000000-0000-4000-8000-000000000000"
        const homeBefore = isThreadId(id) ? [] : tree(home)
        const outcome = yield* Effect.either(call(engine, operation, id))
        if (isThreadId(id)) {
          if (Either.isLeft(outcome)) expect(outcome.left._tag).not.toBe("InvalidInput")
          if (operation === "createThread" && Either.isRight(outcome)) made.push(id)
        } else {
          expect(Either.isLeft(outcome) && outcome.left._tag).toBe("InvalidInput")
          // Rejected before anything was touched: the home is as it was, file by file.
          expect(tree(home)).toEqual(homeBefore)
        }
      }
    }).pipe(
      Effect.provide(Layer.fresh(Engine.layer({ home, database: join(home, "state.sqlite") })))
    )
    const outsideAfter = tree(sandbox).filter((line) => !line.startsWith(relative(sandbox, home) + "/"))
    expect(outsideAfter).toEqual(outsideBefore)
    rmSync(sandbox, { recursive: true, force: true })
  })

describe("thread ids", () => {
  it.live(
    "no sequence of API calls with arbitrary strings as thread ids writes outside the home, and every non-UUID id fails with InvalidInput before touching the home",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(callArb, { minLength: 1, maxLength: 20 }),
            (calls) => Effect.runPromise(run(calls))
          ),
          { numRuns: runs(30) }
        )
      ),
    timeoutFor(30, 600_000)
  )
})
