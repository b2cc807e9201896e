/**
 * The memory workspace (SPEC §11) on a workspace of N summaries (default 1,000), through the
 * service and the git library it uses (isomorphic-git, jsdiff): the first sync and diff (every
 * file added), the baseline reset (one commit of every file), the diff of a clean workspace,
 * and a sync and diff after 10 inputs changed, 10 left the selection and 10 joined. The
 * baseline is reading every workspace file once (what any status must at least look at).
 *
 *   node --import tsx bench/memoryWorkspace.ts [--inputs N] [--reps N]
 *
 * Prints a table and writes `bench/out/memory-workspace.json`. The figures and the choice of
 * library are in docs/decisions.md, "The memory workspace".
 */
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import type { WorkspaceInput } from "../src/domain/MemoryWorkspace.js"
import * as MemoryJobs from "../src/infra/stores/MemoryJobs.js"
import * as MemoryWorkspace from "../src/infra/stores/MemoryWorkspace.js"
import { median, OUT_DIR, sqlLayer } from "./harness.js"

const { values } = parseArgs({
  options: { inputs: { type: "string", default: "1000" }, reps: { type: "string", default: "3" } }
})
const N = Number(values.inputs)
const REPS = Number(values.reps)

const threadId = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`
/** A stage-1 output of realistic size: a ~2 KB summary, a few lines of raw memory. */
const inputOf = (n: number, version = 0): WorkspaceInput => ({
  threadId: threadId(n),
  sourceUpdatedAt: 1_700_000_000_000 + n * 1000 + version,
  rawMemory: Array.from({ length: 6 }, (_, i) => `- thread ${n} fact ${i} (v${version})`).join("\n"),
  rolloutSummary: Array.from({ length: 30 }, (_, i) => `line ${i} of the summary of thread ${n}, v${version}`).join(
    "\n"
  ),
  rolloutSlug: `task-${n % 97}`,
  cwd: `/work/project-${n % 13}`,
  rolloutPath: `/home/.codex/sessions/2026/01/01/rollout-${n}.jsonl`
})

const ms = async (work: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await work()
  return performance.now() - start
}

const readEverything = async (root: string) => {
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
      if (entry.name === ".git") continue
      if (entry.isDirectory()) await walk(join(dir, entry.name))
      else await fs.promises.readFile(join(dir, entry.name))
    }
  }
  await walk(root)
}

const figures: Record<string, Array<number>> = {}
const record = (name: string, value: number) => (figures[name] ??= []).push(value)

for (let rep = 0; rep < REPS; rep++) {
  const home = fs.mkdtempSync(join(tmpdir(), "bench-memory-workspace-"))
  try {
    const layer = MemoryWorkspace.layer({ home }).pipe(
      Layer.provideMerge(MemoryJobs.layer()),
      Layer.provideMerge(sqlLayer(join(home, "state.sqlite")))
    )
    await Effect.runPromise(
      Effect.gen(function*() {
        const jobs = yield* MemoryJobs.MemoryJobs
        const workspace = yield* MemoryWorkspace.MemoryWorkspace
        const claim = yield* jobs.claimPhase2({ workerId: "bench" })
        if (claim._tag !== "Claimed") throw new Error(`no claim: ${claim._tag}`)
        const token = claim.ownershipToken
        const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
        const inputs = Array.from({ length: N }, (_, n) => inputOf(n))
        yield* Effect.promise(async () => {
          record("prepare (init, empty first commit)", await ms(() => run(workspace.prepare(token))))
          record(`sync ${N} inputs into an empty workspace`, await ms(() => run(workspace.sync(token, inputs))))
          record(`diff, ${N + 1} files added (status + patch + file)`, await ms(() => run(workspace.writeDiff(token))))
          record(`reset: one commit of ${N + 1} files`, await ms(() => run(workspace.resetBaseline(token))))
          record("baseline: read every workspace file", await ms(() => readEverything(workspace.root)))
          record("diff of the clean workspace (status)", await ms(() => run(workspace.diff)))
          const next = [
            ...inputs.slice(0, 10).map((i, n) => inputOf(n, 1)),
            ...inputs.slice(20),
            ...Array.from({ length: 10 }, (_, k) => inputOf(N + k))
          ]
          record("sync: 10 changed, 10 pruned, 10 new", await ms(() => run(workspace.sync(token, next))))
          const diff = await run(workspace.writeDiff(token))
          if (diff.changes.length !== 31) throw new Error(`expected 31 changes, got ${diff.changes.length}`)
          // Measured again on the same state: the first diff after a sync also refreshes the index.
          record("diff, 31 files changed (status + patch + file)", await ms(() => run(workspace.writeDiff(token))))
        })
      }).pipe(Effect.provide(layer))
    )
  } finally {
    fs.rmSync(home, { recursive: true, force: true })
  }
}

const baseline = median(figures["baseline: read every workspace file"]!)
const rows = Object.entries(figures).map(([figure, xs]) => ({
  figure,
  ms: Math.round(median(xs) * 10) / 10,
  ratio: Math.round((median(xs) / baseline) * 10) / 10
}))
console.log(`memory workspace, ${N} summaries, median of ${REPS}`)
for (const r of rows) {
  console.log(`${r.figure.padEnd(52)} ${String(r.ms).padStart(9)} ms  ${String(r.ratio).padStart(7)}x`)
}
fs.mkdirSync(OUT_DIR, { recursive: true })
fs.writeFileSync(
  join(OUT_DIR, "memory-workspace.json"),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, inputs: N, reps: REPS, rows }, null, 2)
)
