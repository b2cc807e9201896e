/**
 * Where a thread came from: a plain kind (`cli`, `vscode`, `exec`, …) or a tagged object
 * (`{"subagent": …}`, `{"custom": …}`).
 * @since 0.1.0
 */
import { Schema } from "effect"
import { compactJson, isPlainObject, JsonRecord } from "./Json.js"

/**
 * The spawn record of a sub-agent created by another thread.
 * @since 0.1.0
 * @category schemas
 */
export const ThreadSpawn = Schema.Struct({
  parent_thread_id: Schema.optional(Schema.NullOr(Schema.String)),
  depth: Schema.optional(Schema.NullOr(Schema.Finite)),
  agent_path: Schema.optional(Schema.NullOr(Schema.String)),
  agent_nickname: Schema.optional(Schema.NullOr(Schema.String)),
  agent_role: Schema.optional(Schema.NullOr(Schema.String)),
  agent_type: Schema.optional(Schema.NullOr(Schema.String))
})

/** @since 0.1.0 */
export type ThreadSpawn = typeof ThreadSpawn.Type

/**
 * `source` as written: a string, or an object whose shape varies by release.
 * @since 0.1.0
 * @category schemas
 */
export const SessionSource = Schema.Union(Schema.String, JsonRecord)

/** @since 0.1.0 */
export type SessionSource = typeof SessionSource.Type

/**
 * The source a thread gets when its log never names one (the reference system's default).
 * @since 0.1.0
 */
export const DEFAULT_SOURCE = "vscode"

/**
 * The column form: strings as they are, objects as compact JSON.
 * @since 0.1.0
 */
export const sourceColumn = (source: SessionSource): string => typeof source === "string" ? source : compactJson(source)

const decodeSpawn = Schema.decodeUnknownOption(ThreadSpawn)

/**
 * The `thread_spawn` record inside `{"subagent": {"thread_spawn": …}}`, if any.
 * @since 0.1.0
 */
export const threadSpawnOf = (source: SessionSource | undefined): ThreadSpawn | undefined => {
  if (source === undefined || typeof source === "string") return undefined
  const subagent = source["subagent"]
  if (!isPlainObject(subagent)) return undefined
  const spawn = subagent["thread_spawn"]
  if (!isPlainObject(spawn)) return undefined
  const decoded = decodeSpawn(spawn)
  return decoded._tag === "Some" ? decoded.value : undefined
}

/**
 * The kind used by list filters: `cli`, `vscode`, `exec`, `mcp`, `subagent`, `custom`, … —
 * the string itself, or the single tag of an object source.
 * @since 0.1.0
 */
export const sourceKind = (column: string): string => {
  if (!column.startsWith("{")) return column
  try {
    const parsed: unknown = JSON.parse(column)
    if (isPlainObject(parsed)) {
      const keys = Object.keys(parsed)
      if (keys.length === 1 && keys[0] !== undefined) return keys[0]
    }
  } catch {
    // A column that only looks like JSON is its own kind.
  }
  return column
}
