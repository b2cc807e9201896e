/**
 * Sandbox and approval policies, and reasoning effort, as turn contexts carry them.
 * @since 0.1.0
 */
import { Schema } from "effect"
import { compactJson, isPlainObject, JsonRecord } from "./Json.js"

/**
 * A sandbox policy: a tagged object (`{"type":"read-only"}`, `{"type":"workspace-write",…}`;
 * older files tag with `mode`), or a bare tag string from the oldest writers.
 * @since 0.1.0
 * @category schemas
 */
export const SandboxPolicy = Schema.Union(Schema.String, JsonRecord)

/** @since 0.1.0 */
export type SandboxPolicy = typeof SandboxPolicy.Type

/**
 * `untrusted | on-failure | on-request | never`, or an object such as `{"granular": …}`.
 * @since 0.1.0
 * @category schemas
 */
export const ApprovalPolicy = Schema.Union(
  Schema.Literal("untrusted", "on-failure", "on-request", "never"),
  Schema.String,
  JsonRecord
)

/** @since 0.1.0 */
export type ApprovalPolicy = typeof ApprovalPolicy.Type

/**
 * Known efforts; models may define others, which are kept as written.
 * @since 0.1.0
 * @category schemas
 */
export const ReasoningEffort = Schema.Union(
  Schema.Literal("none", "minimal", "low", "medium", "high", "xhigh"),
  Schema.String
)

/** @since 0.1.0 */
export type ReasoningEffort = typeof ReasoningEffort.Type

/** @since 0.1.0 */
export const DEFAULT_SANDBOX_POLICY = "read-only"

/** @since 0.1.0 */
export const DEFAULT_APPROVAL_MODE = "on-request"

/**
 * The column form of a tagged policy: its tag when the object holds nothing but the tag,
 * else its compact JSON; a bare string as is.
 * @since 0.1.0
 */
export const policyColumn = (policy: string | Record<string, unknown>): string => {
  if (typeof policy === "string") return policy
  const keys = Object.keys(policy)
  if (keys.length === 1) {
    const tag = policy["type"] ?? policy["mode"]
    if (typeof tag === "string") return tag
  }
  return compactJson(policy)
}

/**
 * The column form of an approval policy: the kebab-case string, or compact JSON for objects.
 * @since 0.1.0
 */
export const approvalColumn = (policy: ApprovalPolicy): string =>
  typeof policy === "string" ? policy : isPlainObject(policy) ? compactJson(policy) : String(policy)
