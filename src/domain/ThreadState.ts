/**
 * What the fold of one thread's log produces: its metadata, dynamic tools and turns,
 * plus the little progress the fold needs to continue from where it stopped.
 * @since 0.1.0
 */
import type { DynamicTool } from "./DynamicTool.js"
import type { SpawnStatus } from "./RolloutItem.js"

/**
 * Thread metadata as the fold derives it (SPEC §3). Where the file lives and whether it
 * is archived are facts of the file system, kept by the engine beside this.
 * @since 0.1.0
 * @category models
 */
export interface ThreadMetadata {
  readonly id: string
  /** Epoch ms. */
  readonly createdAt: number
  /** Epoch ms: the latest line timestamp seen, else `createdAt`. */
  readonly updatedAt: number
  readonly source: string
  readonly threadSource: string | null
  readonly agentNickname: string | null
  readonly agentRole: string | null
  readonly agentPath: string | null
  readonly parentThreadId: string | null
  readonly forkedFromId: string | null
  readonly modelProvider: string
  readonly model: string | null
  readonly reasoningEffort: string | null
  /** `""` until a session meta or turn context names one. */
  readonly cwd: string
  readonly cliVersion: string
  /** `""` until the first user message with text. */
  readonly title: string
  /** A name the user gave the thread (`thread_name_updated`), separate from `title`. */
  readonly name: string | null
  readonly firstUserMessage: string | null
  readonly sandboxPolicy: string
  readonly approvalMode: string
  readonly tokensUsed: number
  readonly gitSha: string | null
  readonly gitBranch: string | null
  readonly gitOriginUrl: string | null
  readonly memoryMode: string | null
  /** `closed` once the thread was closed as an agent (and not resumed since): its spawn edge is closed. */
  readonly spawnStatus: SpawnStatus
}

/**
 * One turn of a thread: started by a user message, or by `task_started`/`turn_started`.
 * @since 0.1.0
 * @category models
 */
export interface Turn {
  readonly index: number
  readonly turnId: string | null
  /** Epoch ms of the line that started the turn, when it had a timestamp. */
  readonly startedAt: number | null
  readonly model: string | null
  readonly reasoningEffort: string | null
  readonly cwd: string
  readonly userMessage: string | null
  /** Thread tokens when the turn ended (or now, while it is open). */
  readonly tokensUsed: number
}

/**
 * Where `createdAt` came from; the file name is the last resort because it is local time.
 * @since 0.1.0
 */
export type CreatedAtSource = "session_meta" | "file_name" | "unknown"

/**
 * What the fold remembers beyond the outputs, so that folding more items later gives the
 * same result as folding everything at once.
 * @since 0.1.0
 * @category models
 */
export interface FoldProgress {
  /** The first session meta has fixed the thread id; metas with another id are ignored. */
  readonly idFromSessionMeta: boolean
  readonly createdAtSource: CreatedAtSource
  readonly latestLineTimestamp: number | null
  /** The last turn is still open (no `task_complete`/`turn_aborted` yet). */
  readonly turnOpen: boolean
  /** The last turn was opened by `task_started`: user messages inside it do not start turns. */
  readonly turnOpenedByTask: boolean
}

/**
 * The state of one thread.
 * @since 0.1.0
 * @category models
 */
export interface ThreadState {
  readonly metadata: ThreadMetadata
  readonly dynamicTools: ReadonlyArray<DynamicTool>
  /** Every turn but the last; they never change again. */
  readonly earlierTurns: ReadonlyArray<Turn>
  /** The last turn, the only one later items can change. */
  readonly lastTurn: Turn | null
  readonly progress: FoldProgress
}

/**
 * All turns, in order.
 * @since 0.1.0
 */
export const turnsOf = (state: ThreadState): ReadonlyArray<Turn> =>
  state.lastTurn === null ? state.earlierTurns : [...state.earlierTurns, state.lastTurn]

/**
 * Facts about the file that the fold starts from.
 * @since 0.1.0
 * @category models
 */
export interface FileFacts {
  /** Epoch ms read from the file name (local time taken as UTC): the last fallback. */
  readonly fileNameTimestamp: number | null
  /** The provider a thread gets when its log names none. */
  readonly defaultModelProvider: string
}
