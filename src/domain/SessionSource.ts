/**
 * Where a thread came from: a plain kind (`cli`, `vscode`, `exec`, …) or a tagged object
 * (`{"subagent": …}`, `{"custom": …}`).
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
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
 * The kinds a thread's source falls into (SPEC §11): the reference's `thread/list` kinds, plus
 * `custom` and `internal` for the reference's `{"custom": …}` and `{"internal": …}` sources,
 * which its list names no kind for. `mcp` is what the reference's app server writes; `appServer`
 * is a source written as `app_server`.
 * @since 0.1.0
 */
export const SOURCE_KINDS = [
  "cli",
  "vscode",
  "exec",
  "appServer",
  "mcp",
  "unknown",
  "subAgentReview",
  "subAgentCompact",
  "subAgentThreadSpawn",
  "subAgentOther",
  "custom",
  "internal"
] as const

/** @since 0.1.0 */
export type SourceKind = typeof SOURCE_KINDS[number]

/**
 * What a list filter may name: a kind, or a group of kinds (`subagent`: the four sub-agent
 * kinds; `appServer` also selects `mcp`, which is how the reference's app server records its
 * threads and what the reference's `appServer` filter selects).
 * @since 0.1.0
 */
export const SOURCE_KIND_FILTERS = [...SOURCE_KINDS, "subagent", "subAgent"] as const

/** @since 0.1.0 */
export type SourceKindFilter = typeof SOURCE_KIND_FILTERS[number]

/**
 * The kinds an empty `sourceKinds` list selects (SPEC §11): threads a person started.
 * @since 0.1.0
 */
export const INTERACTIVE_SOURCE_KINDS: ReadonlyArray<SourceKind> = ["cli", "vscode"]

const SUBAGENT_KINDS: ReadonlyArray<SourceKind> = [
  "subAgentReview",
  "subAgentCompact",
  "subAgentThreadSpawn",
  "subAgentOther"
]

const STRING_KINDS: ReadonlyMap<string, SourceKind> = new Map<string, SourceKind>([
  ["cli", "cli"],
  ["vscode", "vscode"],
  ["exec", "exec"],
  ["mcp", "mcp"],
  ["app_server", "appServer"],
  ["appServer", "appServer"],
  ["unknown", "unknown"]
])

const kindOfObject = (source: Record<string, unknown>): SourceKind => {
  const keys = Object.keys(source)
  if (keys.length !== 1) return "unknown"
  switch (keys[0]) {
    case "subagent": {
      const subagent = source["subagent"]
      if (subagent === "review") return "subAgentReview"
      if (subagent === "compact") return "subAgentCompact"
      if (isPlainObject(subagent) && "thread_spawn" in subagent) return "subAgentThreadSpawn"
      return "subAgentOther"
    }
    case "custom":
      return "custom"
    case "internal":
      return "internal"
    default:
      return "unknown"
  }
}

/**
 * The kind of a stored `source` column (SPEC §11). Strings the reference does not write are
 * `unknown`, as the reference reads them; so is an object with other than one member. Migration
 * `0007_source_kinds.sql` computes the same in SQL (held equal by a test).
 * @since 0.1.0
 */
export const sourceKind = (column: string): SourceKind => {
  if (!column.startsWith("{")) return STRING_KINDS.get(column) ?? "unknown"
  try {
    const parsed: unknown = JSON.parse(column)
    if (isPlainObject(parsed)) return kindOfObject(parsed)
  } catch {
    // A column that only looks like JSON is an unknown string.
  }
  return "unknown"
}

/**
 * A filter value that names no kind.
 * @since 0.1.0
 * @category errors
 */
export class InvalidSourceKind extends Schema.TaggedError<InvalidSourceKind>()("InvalidSourceKind", {
  value: Schema.String
}) {
  override get message(): string {
    return `source kind ${JSON.stringify(this.value)}: not one of ${SOURCE_KIND_FILTERS.join(", ")}`
  }
}

const isFilter = (value: string): value is SourceKindFilter =>
  (SOURCE_KIND_FILTERS as ReadonlyArray<string>).includes(value)

/**
 * The kinds a `sourceKinds` filter selects, in `SOURCE_KINDS` order: groups expanded, an empty
 * list meaning the interactive kinds (SPEC §11), an unknown value refused.
 * @since 0.1.0
 */
export const kindsOfFilter = (
  filter: ReadonlyArray<string>
): Either.Either<ReadonlyArray<SourceKind>, InvalidSourceKind> => {
  if (filter.length === 0) return Either.right(INTERACTIVE_SOURCE_KINDS)
  const selected = new Set<SourceKind>()
  for (const value of filter) {
    if (!isFilter(value)) return Either.left(new InvalidSourceKind({ value }))
    if (value === "subagent" || value === "subAgent") { for (const kind of SUBAGENT_KINDS) selected.add(kind) }
    else {
      selected.add(value)
      if (value === "appServer") selected.add("mcp")
    }
  }
  return Either.right(SOURCE_KINDS.filter((kind) => selected.has(kind)))
}
