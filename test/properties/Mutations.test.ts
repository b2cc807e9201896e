import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { applyMetadataPatch, type MetadataPatch } from "../../src/domain/MetadataPatch.js"
import * as Engine from "../../src/infra/engine/Engine.js"
import { runs } from "../fixtures/arbitraries.js"

const fieldArb = (values: ReadonlyArray<string>) =>
  fc.oneof(fc.constant(undefined), fc.constant(null), fc.constantFrom(...values))

const patchArb: fc.Arbitrary<MetadataPatch> = fc
  .record({
    gitSha: fieldArb(["a1", "b2"]),
    gitBranch: fieldArb(["main", "dev"]),
    gitOriginUrl: fieldArb(["git@h:r"]),
    name: fieldArb(["Named", " Padded "]),
    memoryMode: fieldArb(["enabled", "disabled"])
  })
  .map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as MetadataPatch)
  .filter((p) => Object.keys(p).length > 0)

type Op =
  | { readonly kind: "patch"; readonly thread: number; readonly patch: MetadataPatch }
  | { readonly kind: "append" | "archive" | "unarchive"; readonly thread: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("patch" as const), thread: fc.nat(1), patch: patchArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom("append" as const, "archive" as const, "unarchive" as const),
      thread: fc.nat(1)
    })
  }
)

describe("mutation properties", () => {
  it.live(
    "after any sequence of metadata patches (git, name, memory mode), appends, archives and unarchives, the git fields are the patches applied in order and a rebuild equals the live state",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 8 }), async (ops) => {
            const dir = mkdtempSync(join(tmpdir(), "mutations-prop-"))
            const layer = Layer.fresh(Engine.layer({ home: join(dir, "home"), database: join(dir, "state.sqlite") }))
            const program = Effect.gen(function*() {
              const engine = yield* Engine.Engine
              const start: ReturnType<typeof applyMetadataPatch> = {
                gitSha: "s0",
                gitBranch: "b0",
                gitOriginUrl: null,
                name: null,
                memoryMode: null
              }
              const threads = [
                yield* engine.createThread({ cwd: "/a", git: { commit_hash: "s0", branch: "b0" } }),
                yield* engine.createThread({ cwd: "/b", git: { commit_hash: "s0", branch: "b0" } })
              ].map((t) => t.metadata.id)
              const model = [start, start]
              for (const op of ops) {
                const id = threads[op.thread]!
                if (op.kind === "patch") {
                  yield* engine.updateThreadMetadata(id, op.patch)
                  model[op.thread] = applyMetadataPatch(model[op.thread]!, op.patch)
                } else if (op.kind === "append") {
                  yield* engine.append(id, [{ type: "event_msg", payload: { type: "user_message", message: "more" } }])
                } else if (op.kind === "archive") yield* engine.archiveThread(id)
                else yield* engine.unarchiveThread(id)
              }
              const live = yield* Effect.forEach(threads, (id) => engine.getThread(id))
              for (const [i, record] of live.entries()) {
                const { gitBranch, gitOriginUrl, gitSha, memoryMode, name } = record!.metadata
                expect({ gitSha, gitBranch, gitOriginUrl, name, memoryMode }).toEqual(model[i])
              }
              expect((yield* engine.verify()).differences).toEqual([])
              yield* engine.rebuild()
              expect(yield* Effect.forEach(threads, (id) => engine.getThread(id))).toEqual(live)
            })
            await Effect.runPromise(program.pipe(Effect.provide(layer)))
          }),
          { numRuns: runs(15) }
        )
      ),
    120_000
  )
})
