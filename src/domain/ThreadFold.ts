/**
 * The fold from rollout items to thread state (SPEC §3): pure, no I/O, no clock.
 * @since 0.1.0
 */
import { normalizeDynamicTools } from "./DynamicTool.js"
import { gitColumns } from "./GitInfo.js"
import { sessionMetaThreadId } from "./HistoryPages.js"
import { compactJson } from "./Json.js"
import { approvalColumn, DEFAULT_APPROVAL_MODE, DEFAULT_SANDBOX_POLICY, policyColumn } from "./Policies.js"
import {
  type EventMsg,
  FOLD_EVENT_TYPES,
  type LegacyHeader,
  type RolloutItem,
  type SessionMeta,
  type ThreadNameUpdated,
  type ThreadSettingsApplied,
  type ThreadSpawnStatusUpdated,
  type TokenCount,
  type TurnContext,
  type TurnEnded,
  type TurnStarted,
  type UserMessage
} from "./RolloutItem.js"
import { DEFAULT_SOURCE, sourceColumn, threadSpawnOf } from "./SessionSource.js"
import type { FileFacts, FoldProgress, ThreadMetadata, ThreadState, Turn } from "./ThreadState.js"
import { parseTimestampMs } from "./Timestamp.js"
import { normalizeCwd } from "./WorkingDirectory.js"

/**
 * IDE clients prefix the user's words with context; the request follows this marker.
 * @since 0.1.0
 */
export const USER_REQUEST_MARKER = "## My request for Codex:"

/** @since 0.1.0 */
export const IMAGE_PREVIEW = "[Image]"

/**
 * The state before any item: defaults of SPEC §3, the id from the file name.
 * @since 0.1.0
 * @category constructors
 */
export const initial = (threadIdFromFile: string, facts: FileFacts): ThreadState => {
  const createdAt = facts.fileNameTimestamp ?? 0
  return {
    metadata: {
      id: threadIdFromFile,
      createdAt,
      updatedAt: createdAt,
      source: DEFAULT_SOURCE,
      threadSource: null,
      agentNickname: null,
      agentRole: null,
      agentPath: null,
      parentThreadId: null,
      forkedFromId: null,
      modelProvider: facts.defaultModelProvider,
      model: null,
      reasoningEffort: null,
      cwd: "",
      cliVersion: "",
      title: "",
      name: null,
      firstUserMessage: null,
      sandboxPolicy: DEFAULT_SANDBOX_POLICY,
      approvalMode: DEFAULT_APPROVAL_MODE,
      tokensUsed: 0,
      gitSha: null,
      gitBranch: null,
      gitOriginUrl: null,
      memoryMode: null,
      spawnStatus: "open"
    },
    dynamicTools: [],
    earlierTurns: [],
    lastTurn: null,
    progress: {
      idFromSessionMeta: false,
      createdAtSource: facts.fileNameTimestamp === null ? "unknown" : "file_name",
      latestLineTimestamp: null,
      turnOpen: false,
      turnOpenedByTask: false
    }
  }
}

/**
 * The text a user message contributes: the part after the request marker, trimmed;
 * `[Image]` for an image-only message; `null` for a blank one.
 * @since 0.1.0
 */
export const userMessagePreview = (
  message: UserMessage
): { readonly text: string | null; readonly preview: string | null } => {
  const raw = message.message ?? ""
  const marker = raw.indexOf(USER_REQUEST_MARKER)
  const text = (marker >= 0 ? raw.slice(marker + USER_REQUEST_MARKER.length) : raw).trim()
  if (text !== "") return { text, preview: text }
  const hasImages = (message.images?.length ?? 0) > 0 || (message.local_images?.length ?? 0) > 0
  return { text: null, preview: hasImages ? IMAGE_PREVIEW : null }
}

const lineTimestamp = (item: RolloutItem): number | undefined =>
  "timestamp" in item && item.timestamp !== undefined ? parseTimestampMs(item.timestamp) : undefined

/**
 * Folds one item into the state.
 * @since 0.1.0
 * @category folding
 */
export const apply = (state: ThreadState, item: RolloutItem): ThreadState => {
  const timestamp = lineTimestamp(item)
  const next = applyEffect(state, item, timestamp)
  return timestamp === undefined ? next : withLineTimestamp(next, timestamp)
}

/** What an item does besides moving the latest line time. */
const applyEffect = (state: ThreadState, item: RolloutItem, timestamp: number | undefined): ThreadState => {
  switch (item.type) {
    case "session_meta":
      return applySessionMeta(state, item.payload, timestamp)
    case "legacy_header":
      return applyLegacyHeader(state, item.payload)
    case "turn_context":
      return applyTurnContext(state, item.payload)
    case "event_msg":
      return applyEvent(state, item.payload, timestamp)
    default:
      return state
  }
}

/**
 * Folds items in order.
 * @since 0.1.0
 * @category folding
 */
export const applyAll = (state: ThreadState, items: Iterable<RolloutItem>): ThreadState => foldItems(state, items)

/**
 * `applyAll`, also giving the index of the thread's last turn (`null` before the first) after
 * each item at `marks` (item indexes, ascending): the turn a message's line leaves open. The
 * same as folding the items in runs cut after each mark, without a cut's cost: a cut applies
 * the deferred line time and token count, copying the state, once per message.
 * @since 0.1.0
 * @category folding
 */
export const applyAllWithTurns = (
  state: ThreadState,
  items: Iterable<RolloutItem>,
  marks: ReadonlyArray<number>
): { readonly state: ThreadState; readonly turns: ReadonlyArray<number | null> } => {
  const turns: Array<number | null> = []
  let k = 0
  // Mid-fold the deferred time and count are not applied yet; neither changes the last turn's index.
  const folded = foldItems(state, items, (index, next) => {
    while (k < marks.length && marks[k] === index) {
      turns.push(next.lastTurn?.index ?? null)
      k++
    }
  })
  return { state: folded, turns }
}

const foldItems = (
  state: ThreadState,
  items: Iterable<RolloutItem>,
  afterItem?: (index: number, next: ThreadState) => void
): ThreadState => {
  // Line times only ever raise `updatedAt` to their maximum, and only the created-at rule of a
  // session meta reads them: keep the latest pending and apply it before such an item and at
  // the end, which folds to the same state as applying every item's time in turn.
  // Likewise a token count only overwrites the token totals: of a run of them with nothing
  // else of effect between, only the last is applied (a third of a turn's lines are counts).
  let next = state
  let latest: number | undefined
  let tokens: TokenCount | undefined
  let index = 0
  for (const item of items) {
    const timestamp = lineTimestamp(item)
    if (!onlyTimestamp(item)) {
      const count = tokenCountOf(item)
      if (count !== undefined) {
        if (count.info?.total_token_usage?.total_tokens !== undefined) tokens = count
      } else {
        if (tokens !== undefined) {
          next = applyTokenCount(next, tokens)
          tokens = undefined
        }
        if (latest !== undefined && readsLineTime(item)) {
          next = withLineTimestamp(next, latest)
          latest = undefined
        }
        next = applyEffect(next, item, timestamp)
      }
    }
    if (timestamp !== undefined && (latest === undefined || timestamp > latest)) latest = timestamp
    if (afterItem !== undefined) afterItem(index, next)
    index++
  }
  if (tokens !== undefined) next = applyTokenCount(next, tokens)
  return latest === undefined ? next : withLineTimestamp(next, latest)
}

const tokenCountOf = (item: RolloutItem): TokenCount | undefined =>
  item.type === "event_msg" && item.payload.type === "token_count" ? item.payload as TokenCount : undefined

/** Items whose only effect is their line timestamp. */
const onlyTimestamp = (item: RolloutItem): boolean => {
  switch (item.type) {
    case "session_meta":
    case "legacy_header":
    case "turn_context":
      return false
    case "event_msg":
      return !FOLD_EVENT_TYPES.has(item.payload.type)
    default:
      return true
  }
}

/** Items whose rule reads the latest line time (`withCreatedAt`). */
const readsLineTime = (item: RolloutItem): boolean => item.type === "session_meta" || item.type === "legacy_header"

const withLineTimestamp = (state: ThreadState, timestamp: number): ThreadState => {
  const latest = state.progress.latestLineTimestamp
  if (latest !== null && latest >= timestamp) return state
  return {
    ...state,
    metadata: { ...state.metadata, updatedAt: timestamp },
    progress: { ...state.progress, latestLineTimestamp: timestamp }
  }
}

const withCreatedAt = (state: ThreadState, createdAt: number): ThreadState => ({
  ...state,
  metadata: {
    ...state.metadata,
    createdAt,
    updatedAt: state.progress.latestLineTimestamp ?? createdAt
  },
  progress: { ...state.progress, createdAtSource: "session_meta" }
})

/** Claims the thread id on the first meta; says whether this meta belongs to the thread. */
const claim = (state: ThreadState, id: string): ThreadState | undefined => {
  if (state.progress.idFromSessionMeta) return state.metadata.id === id ? state : undefined
  return {
    ...state,
    metadata: { ...state.metadata, id },
    progress: { ...state.progress, idFromSessionMeta: true }
  }
}

const nonEmpty = (value: string | null | undefined): value is string =>
  value !== undefined && value !== null && value !== ""

const applySessionMeta = (state: ThreadState, meta: SessionMeta, lineTs: number | undefined): ThreadState => {
  const firstMeta = !state.progress.idFromSessionMeta
  const claimed = claim(state, sessionMetaThreadId(meta))
  if (claimed === undefined) return state
  const spawn = threadSpawnOf(meta.source ?? undefined)
  const current = claimed.metadata
  const metadata: ThreadMetadata = {
    ...current,
    source: meta.source == null ? current.source : sourceColumn(meta.source),
    threadSource: meta.thread_source ?? null,
    agentNickname: meta.agent_nickname ?? spawn?.agent_nickname ?? null,
    agentRole: meta.agent_role ?? spawn?.agent_role ?? spawn?.agent_type ?? null,
    agentPath: meta.agent_path ?? spawn?.agent_path ?? null,
    parentThreadId: meta.parent_thread_id ?? spawn?.parent_thread_id ?? null,
    forkedFromId: meta.forked_from_id ?? current.forkedFromId,
    modelProvider: nonEmpty(meta.model_provider) ? meta.model_provider : current.modelProvider,
    cliVersion: nonEmpty(meta.cli_version) ? meta.cli_version : current.cliVersion,
    cwd: nonEmpty(meta.cwd) ? normalizeCwd(meta.cwd) : current.cwd,
    // Absent keeps; an explicit null clears (how a metadata update records a cleared mode).
    memoryMode: meta.memory_mode === undefined ? current.memoryMode : meta.memory_mode,
    ...(meta.git == null ? {} : gitColumns(meta.git))
  }
  let next: ThreadState = { ...claimed, metadata }
  if (meta.dynamic_tools != null) next = { ...next, dynamicTools: normalizeDynamicTools(meta.dynamic_tools) }
  if (firstMeta) {
    const createdAt = (nonEmpty(meta.timestamp) ? parseTimestampMs(meta.timestamp) : undefined) ?? lineTs
    if (createdAt !== undefined) next = withCreatedAt(next, createdAt)
  }
  return next
}

const applyLegacyHeader = (state: ThreadState, header: LegacyHeader): ThreadState => {
  const firstMeta = !state.progress.idFromSessionMeta
  const claimed = claim(state, header.id)
  if (claimed === undefined) return state
  let next: ThreadState = header.git == null
    ? claimed
    : { ...claimed, metadata: { ...claimed.metadata, ...gitColumns(header.git) } }
  const createdAt = firstMeta && nonEmpty(header.timestamp) ? parseTimestampMs(header.timestamp) : undefined
  if (createdAt !== undefined) next = withCreatedAt(next, createdAt)
  return next
}

/**
 * A permission profile (what newer hosts enforce) wins over the legacy sandbox policy beside
 * it, stored as its compact JSON as the reference does (SPEC §11).
 */
const sandboxColumnOf = (context: TurnContext): string | undefined => {
  const profile = context.permission_profile
  if (profile != null) return typeof profile === "string" ? profile : compactJson(profile)
  return context.sandbox_policy == null ? undefined : policyColumn(context.sandbox_policy)
}

const applyTurnContext = (state: ThreadState, context: TurnContext): ThreadState => {
  const current = state.metadata
  const contextCwd = nonEmpty(context.cwd) ? normalizeCwd(context.cwd) : undefined
  const cwd = current.cwd === "" && contextCwd !== undefined ? contextCwd : current.cwd
  const model = context.model ?? current.model
  const reasoningEffort = context.effort ?? null
  const sandboxPolicy = sandboxColumnOf(context) ?? current.sandboxPolicy
  const approvalMode = context.approval_policy == null ? current.approvalMode : approvalColumn(context.approval_policy)
  // Most turns repeat the previous context: then the state stays the same object.
  const metadata: ThreadMetadata = cwd === current.cwd && model === current.model &&
      reasoningEffort === current.reasoningEffort && sandboxPolicy === current.sandboxPolicy &&
      approvalMode === current.approvalMode
    ? current
    : { ...current, cwd, model, reasoningEffort, sandboxPolicy, approvalMode }
  const withMeta = metadata === current ? state : { ...state, metadata }
  const turn = state.lastTurn
  if (turn === null || !state.progress.turnOpen) return withMeta
  const turnCwd = contextCwd ?? turn.cwd
  if (turn.model === model && turn.reasoningEffort === reasoningEffort && turn.cwd === turnCwd) return withMeta
  return { ...withMeta, lastTurn: { ...turn, model, reasoningEffort, cwd: turnCwd } }
}

const applyEvent = (state: ThreadState, event: EventMsg, timestamp: number | undefined): ThreadState => {
  switch (event.type) {
    case "user_message":
      return applyUserMessage(state, event as UserMessage, timestamp)
    case "token_count":
      return applyTokenCount(state, event as TokenCount)
    case "thread_name_updated":
      return applyThreadName(state, event as ThreadNameUpdated)
    case "thread_settings_applied":
      return applyThreadSettings(state, event as ThreadSettingsApplied)
    case "thread_spawn_status_updated":
      return applySpawnStatus(state, event as ThreadSpawnStatusUpdated)
    case "task_started":
    case "turn_started":
      return startTurnForTask(state, event as TurnStarted, timestamp)
    case "task_complete":
    case "turn_complete":
    case "turn_aborted":
      return endTurn(state, event as TurnEnded)
    default:
      return state
  }
}

const applyUserMessage = (state: ThreadState, message: UserMessage, timestamp: number | undefined): ThreadState => {
  const { preview, text } = userMessagePreview(message)
  const current = state.metadata
  const metadata: ThreadMetadata =
    current.firstUserMessage === null && preview !== null || current.title === "" && text !== null
      ? {
        ...current,
        firstUserMessage: current.firstUserMessage ?? preview,
        title: current.title === "" && text !== null ? text : current.title
      }
      : current
  const withMeta: ThreadState = metadata === current ? state : { ...state, metadata }
  const { progress, lastTurn } = withMeta
  if (lastTurn !== null && progress.turnOpen && progress.turnOpenedByTask) {
    // A message inside a task (the first one, or the user steering it) belongs to that turn.
    return lastTurn.userMessage === null && preview !== null
      ? { ...withMeta, lastTurn: { ...lastTurn, userMessage: preview } }
      : withMeta
  }
  return startTurn(withMeta, null, timestamp, preview, false)
}

const startTurnForTask = (state: ThreadState, event: TurnStarted, timestamp: number | undefined): ThreadState => {
  const turnId = event.turn_id ?? null
  const { lastTurn, progress } = state
  if (lastTurn !== null && progress.turnOpen && turnId !== null && lastTurn.turnId === turnId) return state
  return startTurn(state, turnId, timestamp, null, true)
}

const startTurn = (
  state: ThreadState,
  turnId: string | null,
  startedAt: number | null | undefined,
  userMessage: string | null,
  openedByTask: boolean
): ThreadState => {
  const { lastTurn, metadata } = state
  const turn: Turn = {
    index: lastTurn === null ? 0 : lastTurn.index + 1,
    turnId,
    startedAt: startedAt ?? null,
    model: metadata.model,
    reasoningEffort: metadata.reasoningEffort,
    cwd: metadata.cwd,
    userMessage,
    tokensUsed: metadata.tokensUsed
  }
  const progress: FoldProgress = { ...state.progress, turnOpen: true, turnOpenedByTask: openedByTask }
  return {
    ...state,
    earlierTurns: lastTurn === null ? state.earlierTurns : [...state.earlierTurns, lastTurn],
    lastTurn: turn,
    progress
  }
}

const endTurn = (state: ThreadState, event: TurnEnded): ThreadState => {
  const { lastTurn, progress } = state
  if (lastTurn === null || !progress.turnOpen) return state
  const turnId = event.turn_id ?? null
  if (turnId !== null && lastTurn.turnId !== null && turnId !== lastTurn.turnId) return state
  return { ...state, progress: { ...progress, turnOpen: false, turnOpenedByTask: false } }
}

const applyTokenCount = (state: ThreadState, event: TokenCount): ThreadState => {
  const total = event.info?.total_token_usage?.total_tokens
  if (total === undefined) return state
  const tokensUsed = Number.isFinite(total) && total > 0 ? Math.trunc(total) : 0
  const { lastTurn, progress } = state
  return {
    ...state,
    metadata: { ...state.metadata, tokensUsed },
    lastTurn: lastTurn !== null && progress.turnOpen ? { ...lastTurn, tokensUsed } : lastTurn
  }
}

const applyThreadName = (state: ThreadState, event: ThreadNameUpdated): ThreadState => {
  // Forks replay the parent's lines; a rename aimed at another thread is not ours.
  if (nonEmpty(event.thread_id) && event.thread_id !== state.metadata.id) return state
  // An explicit null clears the name (a metadata update's clear); absent or blank changes nothing.
  if (event.thread_name === null) {
    return state.metadata.name === null ? state : { ...state, metadata: { ...state.metadata, name: null } }
  }
  const name = event.thread_name?.trim() ?? ""
  return name === "" ? state : { ...state, metadata: { ...state.metadata, name } }
}

/**
 * Settings applied between turns (SPEC §11): model and approval when given, and the effort,
 * which an absent or null value clears as a turn context does. An open turn keeps its own
 * model and effort: the host applies new settings to the turns after it.
 */
const applyThreadSettings = (state: ThreadState, event: ThreadSettingsApplied): ThreadState => {
  // Forks replay the parent's lines; settings aimed at another thread are not ours.
  if (nonEmpty(event.thread_id) && event.thread_id !== state.metadata.id) return state
  const settings = event.thread_settings
  if (settings == null) return state
  const current = state.metadata
  const model = settings.model ?? current.model
  const reasoningEffort = settings.reasoning_effort ?? null
  const approvalMode = settings.approval_policy == null
    ? current.approvalMode
    : approvalColumn(settings.approval_policy)
  if (model === current.model && reasoningEffort === current.reasoningEffort && approvalMode === current.approvalMode) {
    return state
  }
  return { ...state, metadata: { ...current, model, reasoningEffort, approvalMode } }
}

/** A close or resume of this thread (SPEC §11), last wins. */
const applySpawnStatus = (state: ThreadState, event: ThreadSpawnStatusUpdated): ThreadState => {
  // Forks replay the parent's lines; a status aimed at another thread is not ours.
  if (nonEmpty(event.thread_id) && event.thread_id !== state.metadata.id) return state
  return event.status === state.metadata.spawnStatus
    ? state
    : { ...state, metadata: { ...state.metadata, spawnStatus: event.status } }
}
