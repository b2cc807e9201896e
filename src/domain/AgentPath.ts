/**
 * Agent paths (SPEC §5): `/root` is the thread a user started; a child's path is its
 * parent's path plus the name the model chose (`/root/agent_1/agent_3`).
 * @since 0.1.0
 */
import { Either, Schema } from "effect"

/**
 * A valid absolute path, as its segments after `root`.
 * @since 0.1.0
 * @category models
 */
export interface AgentPath {
  readonly segments: ReadonlyArray<string>
}

/** @since 0.1.0 @category errors */
export class InvalidAgentPath extends Schema.TaggedError<InvalidAgentPath>()("InvalidAgentPath", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid agent path ${JSON.stringify(this.path)}: ${this.reason}`
  }
}

/** @since 0.1.0 */
export const ROOT: AgentPath = { segments: [] }

const NAME = /^[a-z0-9_]+$/

/**
 * Why a name cannot be a path segment, if it cannot.
 * @since 0.1.0
 */
export const nameProblem = (name: string): string | undefined => {
  if (name === "") return "empty segment"
  if (name === "root") return "`root` is reserved"
  if (!NAME.test(name)) return `segment ${JSON.stringify(name)} must be lowercase letters, digits or _`
  return undefined
}

/** @since 0.1.0 */
export const formatAgentPath = (path: AgentPath): string => ["/root", ...path.segments].join("/")

/**
 * Parses an absolute path (`/root` or `/root/a/b`).
 * @since 0.1.0
 */
export const parseAgentPath = (text: string): Either.Either<AgentPath, InvalidAgentPath> => {
  const fail = (reason: string) => Either.left(new InvalidAgentPath({ path: text, reason }))
  if (text !== "/root" && !text.startsWith("/root/")) return fail("an absolute path starts with /root")
  if (text.endsWith("/")) return fail("no trailing /")
  const segments = text === "/root" ? [] : text.slice("/root/".length).split("/")
  for (const segment of segments) {
    const problem = nameProblem(segment)
    if (problem !== undefined) return fail(problem)
  }
  return Either.right({ segments })
}

/**
 * Resolves a reference from the calling agent: absolute (`/root/…`), or relative
 * (`agent_2` and `./agent_2` are children, `../agent_4` a sibling, `..` the parent).
 * @since 0.1.0
 */
export const resolveAgentPath = (reference: string, from: AgentPath): Either.Either<AgentPath, InvalidAgentPath> => {
  if (reference.startsWith("/")) return parseAgentPath(reference)
  const fail = (reason: string) => Either.left(new InvalidAgentPath({ path: reference, reason }))
  if (reference === "" || reference.endsWith("/")) return fail("empty or trailing /")
  const segments = [...from.segments]
  for (const part of reference.split("/")) {
    if (part === ".") continue
    if (part === "..") {
      if (segments.length === 0) return fail("goes above /root")
      segments.pop()
      continue
    }
    const problem = nameProblem(part)
    if (problem !== undefined) return fail(problem)
    segments.push(part)
  }
  return Either.right({ segments })
}

/** @since 0.1.0 */
export const childOf = (parent: AgentPath, name: string): Either.Either<AgentPath, InvalidAgentPath> => {
  const problem = nameProblem(name)
  return problem === undefined
    ? Either.right({ segments: [...parent.segments, name] })
    : Either.left(new InvalidAgentPath({ path: `${formatAgentPath(parent)}/${name}`, reason: problem }))
}

/**
 * The shortest relative reference from `from` to `to` (`..` as needed, then names).
 * @since 0.1.0
 */
export const relativeAgentPath = (from: AgentPath, to: AgentPath): string => {
  let common = 0
  while (
    common < from.segments.length && common < to.segments.length && from.segments[common] === to.segments[common]
  ) common++
  const ups = from.segments.length - common
  const parts = [...Array.from({ length: ups }, () => ".."), ...to.segments.slice(common)]
  return parts.length === 0 ? "." : parts.join("/")
}
