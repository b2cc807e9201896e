/**
 * The thread JSON of SPEC §10 (camelCase, ISO-8601 UTC timestamps), with the `sourceKind` of
 * SPEC §11.
 * @since 0.1.0
 */
import { sourceKind } from "../../domain/SessionSource.js"
import type { ThreadMetadata } from "../../domain/ThreadState.js"
import { formatTimestamp } from "../../domain/Timestamp.js"

/** Where the thread's file is and whether it is archived. @since 0.1.0 */
export interface ThreadPlacement {
  readonly rolloutPath: string
  readonly archived: boolean
  readonly archivedAt: number | null
}

/** @since 0.1.0 */
export const threadJson = (metadata: ThreadMetadata, placement: ThreadPlacement) => ({
  id: metadata.id,
  rolloutPath: placement.rolloutPath,
  createdAt: formatTimestamp(metadata.createdAt),
  updatedAt: formatTimestamp(metadata.updatedAt),
  archived: placement.archived,
  archivedAt: placement.archivedAt === null ? null : formatTimestamp(placement.archivedAt),
  source: metadata.source,
  sourceKind: sourceKind(metadata.source),
  threadSource: metadata.threadSource,
  agentNickname: metadata.agentNickname,
  agentRole: metadata.agentRole,
  agentPath: metadata.agentPath,
  parentThreadId: metadata.parentThreadId,
  spawnStatus: metadata.spawnStatus,
  modelProvider: metadata.modelProvider,
  model: metadata.model,
  reasoningEffort: metadata.reasoningEffort,
  cwd: metadata.cwd,
  cliVersion: metadata.cliVersion,
  title: metadata.title,
  name: metadata.name,
  firstUserMessage: metadata.firstUserMessage,
  sandboxPolicy: metadata.sandboxPolicy,
  approvalMode: metadata.approvalMode,
  tokensUsed: metadata.tokensUsed,
  gitSha: metadata.gitSha,
  gitBranch: metadata.gitBranch,
  gitOriginUrl: metadata.gitOriginUrl
})

/** @since 0.1.0 */
export type ThreadJson = ReturnType<typeof threadJson>

/**
 * One line for a person: time, id, and the best label the thread has.
 * @since 0.1.0
 */
export const threadLine = (thread: ThreadJson): string => {
  const label = thread.name ?? (thread.title || thread.firstUserMessage || "(no message)")
  const oneLine = label.replace(/\s+/g, " ").slice(0, 72)
  return `${thread.updatedAt.slice(0, 19).replace("T", " ")}  ${thread.id}  ${
    thread.archived ? "[archived] " : ""
  }${oneLine}`
}
