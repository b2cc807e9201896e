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
 * The FTS5 expression for a typed query, or why there is none (blank, an unclosed quote, too
 * long). Operators must be upper case, as FTS5 has them; lower-case `and`/`or` are words.
 * @since 0.1.0
 */
export const ftsQueryOf = (query: string): Either.Either<string, InvalidSearchQuery> => {
  const fail = (reason: string) => Either.left(new InvalidSearchQuery({ query, reason }))
  if (query.length > MAX_QUERY_CHARS) return fail(`longer than ${MAX_QUERY_CHARS} characters`)
  const parts: Array<string> = []
  let i = 0
  while (i < query.length) {
    const c = query[i]!
    if (/\s/u.test(c)) {
      i++
      continue
    }
    if (c === "(" || c === ")") {
      parts.push(c)
      i++
      continue
    }
    if (c === "\"") {
      const close = query.indexOf("\"", i + 1)
      if (close === -1) return fail("a phrase's closing quote is missing")
      const phrase = query.slice(i + 1, close)
      i = close + 1
      const prefix = query[i] === "*"
      if (prefix) i++
      if (HAS_TOKEN.test(phrase)) parts.push(quoted(phrase) + (prefix ? "*" : ""))
      continue
    }
    let end = i
    while (end < query.length && !/[\s()"]/u.test(query[end]!)) end++
    const word = query.slice(i, end)
    i = end
    if (OPERATORS.has(word)) {
      parts.push(word)
      continue
    }
    const prefix = word.endsWith("*")
    const bare = prefix ? word.replace(/\*+$/u, "") : word
    if (HAS_TOKEN.test(bare)) parts.push(quoted(bare) + (prefix ? "*" : ""))
  }
  if (!parts.some((p) => p.startsWith("\""))) return fail("no word to search for")
  return Either.right(parts.join(" "))
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

const CursorJson = Schema.parseJson(Schema.Tuple(Schema.Literal("search"), Schema.String, Schema.Number, Schema.String))

/**
 * A cursor for the next page after `position`, bound to the query it was made for: JSON keeps a
 * double exactly, so the next page starts strictly after this thread whatever the ties.
 * @since 0.1.0
 */
export const encodeSearchCursor = (query: string, position: RankPosition): string =>
  Buffer.from(JSON.stringify(["search", query, position.score, position.id])).toString("base64url")

/**
 * The position a cursor of `encodeSearchCursor` holds, when it was made for `query`.
 * @since 0.1.0
 */
export const decodeSearchCursor = (query: string, cursor: string): Either.Either<RankPosition, string> => {
  if (!/^[A-Za-z0-9_-]+$/u.test(cursor) || cursor.length > 4 * MAX_QUERY_CHARS) {
    return Either.left("not a cursor this engine made")
  }
  const decoded = Schema.decodeUnknownEither(CursorJson)(Buffer.from(cursor, "base64url").toString("utf8"))
  if (Either.isLeft(decoded)) return Either.left("not a cursor this engine made")
  const [, madeFor, score, id] = decoded.right
  if (madeFor !== query) return Either.left("made for another query")
  return Either.right({ score, id })
}
