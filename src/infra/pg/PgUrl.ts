/**
 * PostgreSQL URLs as the engine takes them, without loading the driver: telling one from a
 * SQLite file, the schema it names, and how it is shown (never with its password).
 * @since 0.1.0
 */

/**
 * Whether `database` names a PostgreSQL server (`postgres://` or `postgresql://`) rather than
 * a SQLite file.
 * @since 0.1.0
 */
export const isPostgresUrl = (database: string): boolean => /^postgres(ql)?:\/\//i.test(database)

/**
 * The URL without `?schema=` and the schema it named, if any: the schema is ours, not a
 * connection parameter the server would be sent.
 * @since 0.1.0
 */
export const schemaOfUrl = (url: string): { readonly url: string; readonly schema: string | undefined } => {
  try {
    const parsed = new URL(url)
    const schema = parsed.searchParams.get("schema") ?? undefined
    parsed.searchParams.delete("schema")
    return { url: parsed.toString(), schema }
  } catch {
    // Left for the open to fail on, naming it.
    return { url, schema: undefined }
  }
}

/**
 * The database in messages: its URL without the password, and the schema.
 * @since 0.1.0
 */
export const displayName = (url: string, schema: string): string => `${withoutPassword(url)} (schema ${schema})`

/**
 * `url` without its password, to be shown.
 * @since 0.1.0
 */
export const withoutPassword = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.password = ""
    return parsed.toString()
  } catch {
    return "a PostgreSQL URL that does not parse"
  }
}
