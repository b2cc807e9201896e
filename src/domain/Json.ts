/**
 * JSON values kept as they are in the file: the fold never needs them typed.
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @since 0.1.0 */
export type JsonValue = string | number | boolean | null | ReadonlyArray<JsonValue> | {
  readonly [key: string]: JsonValue
}

/** @since 0.1.0 */
export type JsonObject = { readonly [key: string]: JsonValue }

/**
 * Any JSON value, decoded as is.
 * @since 0.1.0
 * @category schemas
 */
export const Json: Schema.Schema<JsonValue> = Schema.suspend(
  (): Schema.Schema<JsonValue> =>
    Schema.Union(
      Schema.String,
      Schema.Finite,
      Schema.Boolean,
      Schema.Null,
      Schema.Array(Json),
      Schema.Record({ key: Schema.String, value: Json })
    )
).annotations({ identifier: "Json" })

/**
 * Any parsed JSON, not inspected (its arbitrary generates JSON values only).
 * @since 0.1.0
 * @category schemas
 */
export const UnknownJson = Schema.Unknown.annotations({
  arbitrary: () => (fc) => fc.jsonValue({ maxDepth: 2 })
})

/**
 * A JSON object whose members are not inspected.
 * @since 0.1.0
 * @category schemas
 */
export const JsonRecord = Schema.Record({ key: Schema.String, value: UnknownJson }).annotations({
  arbitrary: () => (fc) => fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
})

/** @since 0.1.0 */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Compact JSON text, as the SQLite columns store structured values.
 * @since 0.1.0
 */
export const compactJson = (value: unknown): string => JSON.stringify(value)
