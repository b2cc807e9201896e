/**
 * Dynamic tools a host registers for a thread, as its first `session_meta` lists them.
 * @since 0.1.0
 */
import { Option, Schema } from "effect"
import { isPlainObject, Json, type JsonValue } from "./Json.js"

/**
 * One tool as written: snake_case (`input_schema`, `defer_loading`) or camelCase
 * (`inputSchema`, `deferLoading`, `exposeToContext`), optionally inside a namespace.
 * @since 0.1.0
 * @category schemas
 */
export const DynamicToolSpec = Schema.Struct({
  name: Schema.String,
  namespace: Schema.optional(Schema.NullOr(Schema.String)),
  description: Schema.optional(Schema.NullOr(Schema.String)),
  input_schema: Schema.optional(Json),
  inputSchema: Schema.optional(Json),
  parameters: Schema.optional(Json),
  defer_loading: Schema.optional(Schema.NullOr(Schema.Boolean)),
  deferLoading: Schema.optional(Schema.NullOr(Schema.Boolean)),
  expose_to_context: Schema.optional(Schema.NullOr(Schema.Boolean)),
  exposeToContext: Schema.optional(Schema.NullOr(Schema.Boolean))
})

/** @since 0.1.0 */
export type DynamicToolSpec = typeof DynamicToolSpec.Type

/**
 * A tool as the state keeps it; `hidden` marks a tool kept out of the model's context.
 * @since 0.1.0
 * @category models
 */
export interface DynamicTool {
  readonly name: string
  readonly namespace: string | null
  readonly description: string
  readonly inputSchema: JsonValue
  readonly hidden: boolean
}

const decodeSpec = Schema.decodeUnknownOption(DynamicToolSpec)

const toTool = (spec: DynamicToolSpec, groupNamespace: string | null): DynamicTool => {
  const deferred = spec.defer_loading ?? spec.deferLoading
  const exposed = spec.expose_to_context ?? spec.exposeToContext
  return {
    name: spec.name,
    namespace: spec.namespace ?? groupNamespace,
    description: spec.description ?? "",
    inputSchema: spec.input_schema ?? spec.inputSchema ?? spec.parameters ?? {},
    hidden: deferred === true || (deferred == null && exposed === false)
  }
}

const collect = (entry: unknown, groupNamespace: string | null, into: Array<DynamicTool>): void => {
  if (!isPlainObject(entry)) return
  const children = entry["tools"]
  if (Array.isArray(children)) {
    const namespace = typeof entry["namespace"] === "string"
      ? entry["namespace"]
      : typeof entry["name"] === "string"
      ? entry["name"]
      : groupNamespace
    for (const child of children) collect(child, namespace, into)
    return
  }
  const spec = decodeSpec(entry)
  if (Option.isSome(spec)) into.push(toTool(spec.value, groupNamespace))
}

/**
 * Flattens every shape seen in the wild (a list of tools, namespace groups, or one object
 * holding `tools`) into tools in file order. Entries without a name are left out.
 * @since 0.1.0
 */
export const normalizeDynamicTools = (field: unknown): ReadonlyArray<DynamicTool> => {
  const tools: Array<DynamicTool> = []
  if (Array.isArray(field)) {
    for (const entry of field) collect(entry, null, tools)
  } else {
    collect(field, null, tools)
  }
  return tools
}
