// A host that runs the conformance kit against the engine layer it embeds, on no test runner:
// `rollout-state/testing` must load without vitest installed, and its cases must pass.
import { Cause, Effect, Exit } from "effect"
import { join } from "node:path"
import { layer } from "rollout-state"
import { conformanceSuite, type EngineFactory } from "rollout-state/testing"

const factory: EngineFactory = {
  name: "the host's SQLite",
  database: (dir) => Effect.succeed(join(dir, "host.sqlite")),
  layer: (options) => layer(options)
}

const failed: Array<string> = []
const cases = conformanceSuite(factory, { numRuns: 3 })
for (const conformanceCase of cases) {
  const exit = await Effect.runPromiseExit(conformanceCase.run)
  if (Exit.isFailure(exit)) failed.push(`${conformanceCase.name}: ${Cause.pretty(exit.cause)}`)
}
if (failed.length > 0) {
  for (const failure of failed) console.error(`conformance: ${failure}`)
  process.exit(1)
}
console.log(`conformance: ${cases.length} cases passed`)
