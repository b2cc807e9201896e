/**
 * What one fold step changed for one thread: the input every projection's `apply` takes.
 * @since 0.1.0
 */
import type { ThreadState } from "../domain/ThreadState.js"

/**
 * Where a thread's log lives and how far it has been folded.
 * @since 0.1.0
 * @category models
 */
export interface ThreadPlacement {
  readonly rolloutPath: string
  readonly archived: boolean
  readonly archivedAt: number | null
  /** Bytes of complete lines folded so far, and their count. */
  readonly projectedOffset: number
  readonly projectedLines: number
  /** The file's size when it was folded (compressed size for `.zst`). */
  readonly fileSize: number
}

/**
 * A thread's state before (as projected; `undefined` when it has no rows yet) and after.
 * `before` is what the rows hold: its earlier turns are not loaded, only its last one.
 * @since 0.1.0
 * @category models
 */
export interface ThreadDelta {
  readonly before: ThreadState | undefined
  readonly after: ThreadState
  readonly placement: ThreadPlacement
}

/** Rows per multi-row statement: well under SQLite's 32,766 bound parameters. @since 0.1.0 */
export const ROWS_PER_STATEMENT = 250

/** @since 0.1.0 */
export const chunksOf = <A>(items: ReadonlyArray<A>, size = ROWS_PER_STATEMENT): Array<ReadonlyArray<A>> => {
  const chunks: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

/**
 * A multi-row statement's text for `rows` rows of `columns` placeholders, built once per row count
 * (a live append would otherwise rebuild and rehash a kilobyte of SQL per statement). With one
 * column it also makes an `IN` list: `IN ((?), (?))`.
 * @since 0.1.0
 */
export const statementForRows = (columns: number, build: (values: string) => string) => {
  const texts = new Map<number, string>()
  const row = `(${Array.from({ length: columns }, () => "?").join(", ")})`
  return (rows: number): string => {
    let text = texts.get(rows)
    if (text === undefined) {
      text = build(Array.from({ length: rows }, () => row).join(", "))
      texts.set(rows, text)
    }
    return text
  }
}

/** The rows' values in `columns` order, for a statement of `statementForRows`. @since 0.1.0 */
export const valuesOf = <R>(rows: ReadonlyArray<R>, columns: ReadonlyArray<keyof R & string>): Array<unknown> => {
  const params: Array<unknown> = []
  for (const r of rows) for (const column of columns) params.push(r[column])
  return params
}
