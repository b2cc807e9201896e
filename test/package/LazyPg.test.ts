/** The PostgreSQL driver is an optional peer: loaded when an engine is given a PostgreSQL URL, never by SQLite's. */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { PG_URL } from "../fixtures/dialects.js"

const ROOT = join(import.meta.dirname, "..", "..")

const probe = (dir: string) =>
  new Promise<string>((resolve, reject) => {
    // node-postgres (`pg`), which @effect/sql-pg drives, is CommonJS: Node records it in require.cache.
    const script = `
      import { createRequire } from "node:module"
      import { Effect, Layer } from "effect"
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => /[/]node_modules[/]pg[/]/.test(f))
      const entry = await import(${JSON.stringify(join(ROOT, "src/index.ts"))})
      const open = (options) => Effect.runPromise(Effect.scoped(Effect.asVoid(Layer.build(entry.layer(options)))))
      const atImport = loaded()
      await open({ home: ${JSON.stringify(join(dir, "home"))}, database: ${JSON.stringify(join(dir, "state.sqlite"))} })
      const afterSqlite = loaded()
      const schema = "lazy_" + process.pid
      await open({ home: ${JSON.stringify(join(dir, "home"))}, database: ${
      JSON.stringify(PG_URL)
    } + "?schema=" + schema, hostId: "lazy" })
      const afterPg = loaded()
      const pg = await import(${JSON.stringify(join(ROOT, "src/pg.ts"))})
      await Effect.runPromise(Effect.scoped(Effect.flatMap(
        pg.PgDatabase.open({ url: ${JSON.stringify(PG_URL)}, schema, hostId: "lazy" }),
        (db) => db.sql\`DROP SCHEMA \${db.sql(schema)} CASCADE\`
      )))
      console.log(JSON.stringify({ atImport, afterSqlite, afterPg }))
    `
    execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { cwd: ROOT },
      (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`)))
    )
  })

const dirs: Array<string> = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe("the package entry", () => {
  it("does not load the PostgreSQL driver for a SQLite engine, and loads it for a PostgreSQL URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lazy-pg-"))
    dirs.push(dir)
    expect(JSON.parse(await probe(dir))).toEqual({ atImport: false, afterSqlite: false, afterPg: true })
  }, 120_000)
})
