// Bundles the command line into dist/cli/ (docs/decisions.md, "CLI start-up"):
//   main.cjs       every command, Effect and @effect/cli inside, tree-shaken; a command's body
//                  (engine, SQLite) is evaluated only when that command runs
//   bin.cjs        the executable: runs main.cjs through a V8 code cache
//   FoldWorker.js  the fold worker, which FoldPool loads from beside itself
// better-sqlite3 (native), fzstd, and isomorphic-git and diff (the memory workspace's, 5 MB that
// only `memories workspace diff` loads) stay dependencies, resolved from node_modules.
//   node --import tsx scripts/bundle.ts [OUTDIR]     (default: dist/cli; the bench builds elsewhere)
import { build, type BuildOptions } from "esbuild"
import { chmodSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const outdir = process.argv[2] ?? join(root, "dist", "cli")
rmSync(outdir, { recursive: true, force: true })
const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  minify: true,
  external: ["better-sqlite3", "fzstd", "isomorphic-git", "diff"],
  logLevel: "warning"
}
// CommonJS has no import.meta: the modules that find files beside themselves get this file's URL.
const cjs: BuildOptions = {
  ...common,
  format: "cjs",
  // main.cjs runs in a vm.Script (bin.ts), where `import()` has no loader: an external loaded
  // lazily (the git library) becomes a `require` when it is first needed.
  supported: { "dynamic-import": false },
  define: { "import.meta.url": "__rsFileUrl" },
  banner: { js: "const __rsFileUrl=require(\"node:url\").pathToFileURL(__filename).href;" }
}
await build({ ...cjs, entryPoints: ["src/infra/cli/main.ts"], outfile: join(outdir, "main.cjs") })
await build({ ...cjs, entryPoints: ["src/infra/cli/bin.ts"], outfile: join(outdir, "bin.cjs") })
await build({
  ...common,
  format: "esm",
  entryPoints: ["src/infra/rollout/FoldWorker.ts"],
  outfile: join(outdir, "FoldWorker.js"),
  banner: { js: "import{createRequire as __rsRequire}from\"node:module\";const require=__rsRequire(import.meta.url);" }
})
chmodSync(join(outdir, "bin.cjs"), 0o755)
