/**
 * The numbered `.sql` migrations shipped with the package: `migrations/NNNN_name.sql` for
 * SQLite, `migrations/<dialect>/NNNN_name.sql` for another dialect.
 * @since 0.1.0
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { DatabaseError, type SqlDatabase } from "./SqlDatabase.js"

/** @since 0.1.0 @category models */
export interface Migration {
  readonly id: number
  readonly name: string
  readonly script: string
}

const findMigrationsDir = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "migrations")
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate
    dir = dirname(dir)
  }
  throw new Error("migrations folder not found beside package.json")
}

/**
 * The migrations of `folder` (`migrations/` itself when omitted), in id order.
 * @since 0.1.0
 */
export const readMigrations = (folder?: string): ReadonlyArray<Migration> => {
  const dir = folder === undefined ? findMigrationsDir() : join(findMigrationsDir(), folder)
  return readdirSync(dir)
    .flatMap((file) => {
      const match = /^(\d+)_(.+)\.sql$/.exec(file)
      return match ? [{ id: Number(match[1]), name: match[2]!, script: readFileSync(join(dir, file), "utf8") }] : []
    })
    .sort((a, b) => a.id - b.id)
}

/** Databases whose newer-schema warning this process already logged. */
const warnedNewer = new Set<string>()

/**
 * Inside the caller's migration transaction (which keeps other processes from migrating at the
 * same time), with the bookkeeping table `effect_sql_migrations` created: applies every one of
 * `known` the database has not recorded, in id order, and returns them. Unlike a "everything
 * above the highest id" migrator, a migration numbered below one already applied (merged late)
 * is still run. A recorded id within our range whose name is not ours is a different schema:
 * `schema-mismatch`. Ids above ours (a newer release migrated it: app servers of several
 * versions share a database, SPEC §11) open with one warning per database and process, after
 * the transaction; nothing is ever migrated down.
 * @since 0.1.0
 */
export const applyPending = (
  database: Pick<SqlDatabase, "name" | "sql" | "execScript">,
  known: ReadonlyArray<Migration>
): Effect.Effect<
  { readonly applied: ReadonlyArray<readonly [number, string]>; readonly warning: Effect.Effect<void> },
  DatabaseError | SqlError
> =>
  Effect.gen(function*() {
    const { sql } = database
    const latestKnown = known[known.length - 1]?.id ?? 0
    const knownNames = new Map(known.map((m) => [m.id, m.name]))
    const recorded = yield* sql<
      { readonly migration_id: number; readonly name: string }
    >`SELECT migration_id, name FROM effect_sql_migrations ORDER BY migration_id`
    const differing = recorded.filter((row) =>
      row.migration_id <= latestKnown && knownNames.get(row.migration_id) !== row.name
    )
    if (differing.length > 0) {
      const list = differing.map((row) => `${row.migration_id} "${row.name}"`).join(", ")
      return yield* new DatabaseError({
        file: database.name,
        operation: "migrate",
        reason: "schema-mismatch",
        detail: `recorded migrations ${list} are not this release's; the database belongs to another schema`
      })
    }
    const recordedIds = new Set(recorded.map((row) => row.migration_id))
    const applied: Array<readonly [number, string]> = []
    for (const { id, name, script } of known) {
      if (recordedIds.has(id)) continue
      yield* database.execScript(script)
      yield* sql`INSERT INTO effect_sql_migrations (migration_id, name) VALUES (${id}, ${name})`
      applied.push([id, name])
    }
    const newer = recorded.filter((row) => row.migration_id > latestKnown)
    const warning = Effect.suspend(() => {
      if (newer.length === 0 || warnedNewer.has(database.name)) return Effect.void
      warnedNewer.add(database.name)
      return Effect.logWarning(
        `${database.name}: migrated by a newer release (migrations ${
          newer.map((row) => row.migration_id).join(", ")
        } are unknown here, ours end at ${latestKnown}); opening it as it is`
      )
    })
    return { applied, warning }
  })
