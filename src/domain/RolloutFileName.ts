/**
 * Rollout file names: `rollout-YYYY-MM-DDThh-mm-ss-<thread uuid>[_<rollout id>].jsonl[.zst]`.
 * The time in the name is the host's local time: only a last-resort creation time.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export interface RolloutFileName {
  readonly threadId: string
  /** Epoch ms of the name's local time read as UTC. */
  readonly nameTimestamp: number
  /** Set on reverted rollouts (`…-<uuid>_<rollout id>.jsonl`). */
  readonly rolloutId: string | null
  readonly compressed: boolean
}

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
const NAME = new RegExp(
  `^rollout-(\\d{4})-(\\d{2})-(\\d{2})(?:T(\\d{2})-(\\d{2})-(\\d{2}))?-(${UUID})(?:_([A-Za-z0-9-]+))?\\.jsonl(\\.zst)?$`
)
const COPY_SUFFIX = / \(\d+\)\.jsonl(\.zst)?$/

/**
 * Parses a base name; `undefined` when it is not a rollout name.
 * @since 0.1.0
 */
export const parseRolloutFileName = (baseName: string): RolloutFileName | undefined => {
  const match = NAME.exec(baseName)
  if (match === null) return undefined
  const [, year, month, day, hour, minute, second, threadId, rolloutId, zst] = match
  const nameTimestamp = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour ?? 0),
    Number(minute ?? 0),
    Number(second ?? 0)
  )
  if (Number.isNaN(nameTimestamp) || threadId === undefined) return undefined
  return {
    threadId: threadId.toLowerCase(),
    nameTimestamp,
    rolloutId: rolloutId ?? null,
    compressed: zst !== undefined
  }
}

/**
 * A copy left by a desktop client (`… (1).jsonl`); ignored when empty.
 * @since 0.1.0
 */
export const isCopySuffixed = (baseName: string): boolean => COPY_SUFFIX.test(baseName)

/**
 * Looks like a rollout the engine should consider at all (and report when it cannot read).
 * @since 0.1.0
 */
export const looksLikeRollout = (baseName: string): boolean =>
  baseName.startsWith("rollout-") && (baseName.endsWith(".jsonl") || baseName.endsWith(".jsonl.zst"))

/**
 * The file name a new thread gets: local wall-clock time of creation plus its id.
 * @since 0.1.0
 */
export const rolloutFileNameFor = (threadId: string, createdAt: Date): string => {
  const pad = (n: number) => String(n).padStart(2, "0")
  const stamp = `${createdAt.getFullYear()}-${pad(createdAt.getMonth() + 1)}-${pad(createdAt.getDate())}T${
    pad(createdAt.getHours())
  }-${pad(createdAt.getMinutes())}-${pad(createdAt.getSeconds())}`
  return `rollout-${stamp}-${threadId}.jsonl`
}
