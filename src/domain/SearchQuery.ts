/**
 * A search query as a person types it, turned into an FTS5 query: words (all must match),
 * `"phrases"`, `prefix*` terms, `AND`/`OR`/`NOT` and parentheses. Every word is quoted, so
 * punctuation in it (`login-test`, `why?`, `path:`) is split by the tokenizer instead of being
 * read as FTS5 syntax; what is left to the grammar (operators, parentheses) is checked there.
 * @since 0.1.0
 */
import { Either, Schema } from "effect"

/**
 * Why a query cannot run; `reason` says what is wrong with it.
 * @since 0.1.0
 * @category errors
 */
export class InvalidSearchQuery extends Schema.TaggedError<InvalidSearchQuery>()("InvalidSearchQuery", {
  query: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `search query ${JSON.stringify(this.query.slice(0, 80))}: ${this.reason}`
  }
}

/** Longer queries are refused: an FTS5 expression's cost grows with its terms. @since 0.1.0 */
export const MAX_QUERY_CHARS = 1000

const OPERATORS: ReadonlySet<string> = new Set(["AND", "OR", "NOT"])

/** A letter or digit of any script: a token the tokenizer keeps. */
const HAS_TOKEN = /[\p{L}\p{N}]/u

const quoted = (text: string): string => `"${text.replaceAll("\"", "\"\"")}"`

/**
 * A word to highlight: its folded text, and whether it is a prefix (`auth*`).
 * @since 0.1.0
 * @category models
 */
export interface SearchTerm {
  readonly token: string
  readonly prefix: boolean
}

/**
 * A typed query as FTS5 runs it (`match`) and the words it looks for (`terms`).
 * @since 0.1.0
 * @category models
 */
export interface SearchExpression {
  readonly match: string
  /**
   * The same query as PostgreSQL's `to_tsquery` text: a phrase's words joined by `<->`, a prefix
   * `:*`, `AND` `&`, `OR` `|`, `NOT` `& !` (binary, as in FTS5), juxtaposition `&`; the
   * operators bind as FTS5's do (NOT, then AND, then OR).
   */
  readonly tsquery: string
  readonly terms: ReadonlyArray<SearchTerm>
}

/**
 * Text as the index's tokenizer (`unicode61 remove_diacritics 2`) compares it: accents
 * removed, lower case.
 * @since 0.1.0
 */
export const foldText = (text: string): string => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase()

/** Tokens as the tokenizer splits text: runs of letters and digits, with their offsets. */
const TOKEN = /[\p{L}\p{N}\p{M}]+/gu

/**
 * The FTS5 expression for a typed query, or why there is none (blank, an unclosed quote, too
 * long). Operators must be upper case, as FTS5 has them; lower-case `and`/`or` are words.
 * @since 0.1.0
 */
export const ftsQueryOf = (query: string): Either.Either<SearchExpression, InvalidSearchQuery> => {
  const fail = (reason: string) => Either.left(new InvalidSearchQuery({ query, reason }))
  if (query.length > MAX_QUERY_CHARS) return fail(`longer than ${MAX_QUERY_CHARS} characters`)
  const parts: Array<string> = []
  const terms: Array<SearchTerm> = []
  const ts: Array<string> = []
  let afterOperand = false
  const operand = (text: string) => {
    if (afterOperand) ts.push("&")
    ts.push(text)
    afterOperand = true
  }
  const phrase = (text: string, prefix: boolean) => {
    if (!HAS_TOKEN.test(text)) return
    parts.push(quoted(text) + (prefix ? "*" : ""))
    const tokens = text.match(TOKEN) ?? []
    tokens.forEach((token, k) => terms.push({ token: foldText(token), prefix: prefix && k === tokens.length - 1 }))
    // Tokens are letters, digits and marks only: quoted, nothing in them is tsquery syntax.
    const lexemes = tokens.map((token, k) => `'${token}'${prefix && k === tokens.length - 1 ? ":*" : ""}`)
    operand(lexemes.length === 1 ? lexemes[0]! : `(${lexemes.join(" <-> ")})`)
  }
  let i = 0
  while (i < query.length) {
    const c = query[i]!
    if (/\s/u.test(c)) {
      i++
      continue
    }
    if (c === "(" || c === ")") {
      parts.push(c)
      if (c === "(") {
        if (afterOperand) ts.push("&")
        ts.push("(")
        afterOperand = false
      } else {
        ts.push(")")
        afterOperand = true
      }
      i++
      continue
    }
    if (c === "\"") {
      const close = query.indexOf("\"", i + 1)
      if (close === -1) return fail("a phrase's closing quote is missing")
      const text = query.slice(i + 1, close)
      i = close + 1
      const prefix = query[i] === "*"
      if (prefix) i++
      phrase(text, prefix)
      continue
    }
    let end = i
    while (end < query.length && !/[\s()"]/u.test(query[end]!)) end++
    const word = query.slice(i, end)
    i = end
    if (OPERATORS.has(word)) {
      parts.push(word)
      ts.push(word === "AND" ? "&" : word === "OR" ? "|" : "& !")
      afterOperand = false
    } else if (word.endsWith("*")) phrase(word.replace(/\*+$/u, ""), true)
    else phrase(word, false)
  }
  if (terms.length === 0) return fail("no word to search for")
  return Either.right({ match: parts.join(" "), tsquery: ts.join(" "), terms })
}

/**
 * A window of a message's text around its matches; `highlights` are the matched words, as
 * `[start, end)` offsets into `text` (UTF-16 code units).
 * @since 0.1.0
 * @category models
 */
export interface Snippet {
  readonly text: string
  readonly highlights: ReadonlyArray<readonly [number, number]>
}

/** Words of context a snippet keeps around its matches. @since 0.1.0 */
export const SNIPPET_TOKENS = 16

/**
 * The window of `SNIPPET_TOKENS` words of `text` holding the most matches of `terms` (the
 * earliest such), cut at word boundaries with `…` where text was left out, matches marked.
 * Computed here from the row's text: FTS5's own `snippet()` re-runs the whole query for each
 * message it is asked about (47 ms a snippet for a common word at 40k messages).
 * @since 0.1.0
 */
export const snippetOf = (text: string, terms: ReadonlyArray<SearchTerm>): Snippet => {
  const tokens = [...text.matchAll(TOKEN)].map((m) => ({ start: m.index, end: m.index + m[0].length, word: m[0] }))
  if (tokens.length === 0) return { text: "", highlights: [] }
  const hit = tokens.map(({ word }) => {
    const folded = foldText(word)
    return terms.some((t) => (t.prefix ? folded.startsWith(t.token) : folded === t.token))
  })
  let best = 0
  let bestCount = -1
  let count = 0
  for (let k = 0; k < tokens.length; k++) {
    if (hit[k]) count++
    if (k >= SNIPPET_TOKENS && hit[k - SNIPPET_TOKENS]) count--
    const start = Math.max(0, k - SNIPPET_TOKENS + 1)
    if (count > bestCount) {
      bestCount = count
      best = start
    }
  }
  // Start the window three words before its first match (it still ends past its last one).
  const firstHit = hit.indexOf(true, best)
  const lead = firstHit === -1 ? best : Math.max(best, firstHit - 3)
  const from = Math.max(0, Math.min(lead, tokens.length - SNIPPET_TOKENS))
  const to = Math.min(tokens.length, from + SNIPPET_TOKENS) - 1
  const head = from > 0 ? "…" : ""
  const start = from > 0 ? tokens[from]!.start : 0
  const end = to < tokens.length - 1 ? tokens[to]!.end : text.length
  const highlights: Array<readonly [number, number]> = []
  for (let k = from; k <= to; k++) {
    if (hit[k]) highlights.push([tokens[k]!.start - start + head.length, tokens[k]!.end - start + head.length])
  }
  return { text: head + text.slice(start, end) + (to < tokens.length - 1 ? "…" : ""), highlights }
}

/**
 * A position in a ranked listing: the thread's score (lower ranks first, as FTS5's bm25) and id.
 * @since 0.1.0
 * @category models
 */
export interface RankPosition {
  readonly score: number
  readonly id: string
}

/**
 * The matching messages a search ranks, as index rowids `oldest..newest`: fixed by its first
 * page, so that later pages rank the same set. `exhaustive` when they are every message that
 * matched, not only the newest ones up to the scoring budget (`ThreadSearch.ts`).
 * @since 0.1.0
 * @category models
 */
export interface ScoredWindow {
  readonly oldest: number
  readonly newest: number
  readonly exhaustive: boolean
}

/**
 * Where the next page starts: after `after`, among the threads of `window`.
 * @since 0.1.0
 * @category models
 */
export interface SearchCursor {
  readonly after: RankPosition
  readonly window: ScoredWindow
}

const CursorJson = Schema.parseJson(
  Schema.Tuple(
    Schema.Literal("search"),
    Schema.String,
    Schema.Number,
    Schema.String,
    Schema.Int,
    Schema.Int,
    Schema.Boolean
  )
)

/**
 * A cursor for the next page, bound to the query it was made for: JSON keeps a double exactly,
 * so the next page starts strictly after this thread whatever the ties.
 * @since 0.1.0
 */
export const encodeSearchCursor = (query: string, { after, window }: SearchCursor): string =>
  Buffer.from(JSON.stringify(["search", query, after.score, after.id, window.oldest, window.newest, window.exhaustive]))
    .toString("base64url")

/**
 * The position and window a cursor of `encodeSearchCursor` holds, when it was made for `query`.
 * @since 0.1.0
 */
export const decodeSearchCursor = (query: string, cursor: string): Either.Either<SearchCursor, string> => {
  if (!/^[A-Za-z0-9_-]+$/u.test(cursor) || cursor.length > 4 * MAX_QUERY_CHARS) {
    return Either.left("not a cursor this engine made")
  }
  const decoded = Schema.decodeUnknownEither(CursorJson)(Buffer.from(cursor, "base64url").toString("utf8"))
  if (Either.isLeft(decoded)) return Either.left("not a cursor this engine made")
  const [, madeFor, score, id, oldest, newest, exhaustive] = decoded.right
  if (madeFor !== query) return Either.left("made for another query")
  return Either.right({ after: { score, id }, window: { oldest, newest, exhaustive } })
}
