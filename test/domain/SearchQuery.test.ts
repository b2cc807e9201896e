import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import {
  decodeSearchCursor,
  encodeSearchCursor,
  ftsQueryOf,
  InvalidSearchQuery,
  MAX_QUERY_CHARS,
  SNIPPET_TOKENS,
  snippetOf
} from "../../src/domain/SearchQuery.js"
import { runs } from "../fixtures/arbitraries.js"

const fts = (query: string) => Either.getOrThrow(ftsQueryOf(query)).match
const terms = (query: string) => Either.getOrThrow(ftsQueryOf(query)).terms
const marked = (text: string, query: string) => {
  const snippet = snippetOf(text, terms(query))
  let out = snippet.text
  for (const [start, end] of [...snippet.highlights].reverse()) {
    out = `${out.slice(0, start)}[${out.slice(start, end)}]${out.slice(end)}`
  }
  return out
}
const reason = (query: string) => Either.flip(ftsQueryOf(query)).pipe(Either.getOrThrow).reason

const tsquery = (query: string) => Either.getOrThrow(ftsQueryOf(query)).tsquery

describe("SearchQuery", () => {
  it("gives PostgreSQL the same query: phrases as <->, prefixes :*, juxtaposition &, NOT as & !", () => {
    expect(tsquery("flaky login")).toBe("'flaky' & 'login'")
    expect(tsquery("\"flaky login\" OR (auth* NOT oauth)")).toBe("('flaky' <-> 'login') | ( 'auth':* & ! 'oauth' )")
    expect(tsquery("\"flaky log\"*")).toBe("('flaky' <-> 'log':*)")
    expect(tsquery("a (b OR c) d")).toBe("'a' & ( 'b' | 'c' ) & 'd'")
    // A word's punctuation splits it, as the tokenizer does; nothing of it is tsquery syntax.
    expect(tsquery("login-test? it's")).toBe("('login' <-> 'test') & ('it' <-> 's')")
    expect(tsquery("fix and or")).toBe("'fix' & 'and' & 'or'")
  })

  it("quotes every word, keeps phrases, prefixes, upper-case operators and parentheses", () => {
    expect(fts("flaky login")).toBe("\"flaky\" \"login\"")
    expect(fts("\"flaky login\" OR (auth* NOT oauth)")).toBe("\"flaky login\" OR ( \"auth\"* NOT \"oauth\" )")
    expect(fts("\"flaky log\"*")).toBe("\"flaky log\"*")
    // Lower-case operators are words; punctuation is left to the tokenizer inside quotes.
    expect(fts("fix and or")).toBe("\"fix\" \"and\" \"or\"")
    expect(fts("where did I fix login-test? path:x")).toBe(
      "\"where\" \"did\" \"I\" \"fix\" \"login-test?\" \"path:x\""
    )
    expect(fts("say \"\"hi\"\"")).toBe("\"say\" \"hi\"")
    // Tokens that hold nothing the tokenizer keeps are dropped.
    expect(fts("flaky ?? *")).toBe("\"flaky\"")
  })

  it("names the words to highlight, folded, the last of a prefix phrase as a prefix", () => {
    expect(terms("Café \"flaky LOGIN\"* NOT x-y")).toEqual([
      { token: "cafe", prefix: false },
      { token: "flaky", prefix: false },
      { token: "login", prefix: true },
      { token: "x", prefix: false },
      { token: "y", prefix: false }
    ])
  })

  it("a snippet is the window of words with the most matches, marked, cut with … where text is left out", () => {
    expect(marked("Fix the flaky login test", "flaky login")).toBe("Fix the [flaky] [login] test")
    expect(marked("Über café, naïve: CAFE!", "cafe uber")).toBe("[Über] [café], naïve: [CAFE]!")
    expect(marked("authentication and author", "auth*")).toBe("[authentication] and [author]")
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ")
    const long = `${filler(50)} one flaky here ${filler(5)} flaky login twice ${filler(50)}`
    const snippet = marked(long, "flaky login")
    expect(snippet).toMatch(/^….*\[flaky\] here .*\[flaky\] \[login\] twice.*…$/u)
    expect(snippet.slice(1, -1).split(" ")).toHaveLength(SNIPPET_TOKENS)
    // No match in the text (the query matched through a prefix of another form): its start.
    expect(snippetOf(`${filler(30)}`, terms("zzz")).text).toBe(`${filler(SNIPPET_TOKENS)}…`)
    expect(snippetOf("?!", terms("zzz"))).toEqual({ text: "", highlights: [] })
  })

  it("a snippet's window is the earliest with the most matches, led by up to three words, clamped to the text", () => {
    // `w<i>` words, with the word `a` at the positions given.
    const words = (n: number, hits: ReadonlyArray<number>) =>
      Array.from({ length: n }, (_, i) => (hits.includes(i) ? "a" : `w${i}`)).join(" ")
    const window = (from: number, to: number, hits: ReadonlyArray<number>) =>
      Array.from({ length: to - from + 1 }, (_, k) => (hits.includes(from + k) ? "[a]" : `w${from + k}`)).join(" ")
    // Two matches side by side outrank an earlier lone one.
    expect(marked(words(48, [2, 30, 31]), "a")).toBe(`…${window(27, 42, [30, 31])}…`)
    // Equal counts: the earliest window; one of two matches 16 words apart is outside it.
    expect(marked(words(48, [5, 30]), "a")).toBe(`…${window(2, 17, [5])}…`)
    expect(marked(words(48, [2, 17, 18]), "a")).toBe(`…${window(2, 17, [2, 17])}…`)
    expect(marked(words(48, [0, 16]), "a")).toBe(`${window(0, 15, [0])}…`)
    // Fewer than three words before the first match at the start; none after it at the end.
    expect(marked(words(40, [1]), "a")).toBe(`${window(0, 15, [1])}…`)
    expect(marked(words(40, [38, 39]), "a")).toBe(`…${window(24, 39, [38, 39])}`)
    expect(marked(words(5, [4]), "a")).toBe(window(0, 4, [4]))
    // The text before the first word and after the last stays when the window reaches them.
    expect(marked("(flaky) login?!", "flaky")).toBe("([flaky]) login?!")
  })

  it("only trailing stars make a prefix, and a query of the longest length is taken", () => {
    expect(fts("auth**")).toBe("\"auth\"*")
    expect(fts("a*b*")).toBe("\"a*b\"*")
    expect(fts("a".repeat(MAX_QUERY_CHARS))).toBe(`"${"a".repeat(MAX_QUERY_CHARS)}"`)
  })

  it("refuses a blank query, an unclosed phrase and an overlong query", () => {
    expect(new InvalidSearchQuery({ query: `${"q".repeat(100)}`, reason: "why" }).message)
      .toBe(`search query "${"q".repeat(80)}": why`)
    expect(reason("  ?! ")).toBe("no word to search for")
    expect(reason("OR AND")).toBe("no word to search for")
    expect(reason("\"flaky login")).toBe("a phrase's closing quote is missing")
    expect(reason("a".repeat(MAX_QUERY_CHARS + 1))).toBe(`longer than ${MAX_QUERY_CHARS} characters`)
  })

  it("a cursor gives back its exact position and window, for its own query only", () =>
    fc.assert(
      fc.property(
        fc.string(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string(),
        fc.record({ oldest: fc.nat(), newest: fc.nat(), exhaustive: fc.boolean() }),
        (query, score, id, window) => {
          const cursor = encodeSearchCursor(query, { after: { score, id }, window })
          // -0 comes back as 0, which SQL compares equal to it.
          expect(decodeSearchCursor(query, cursor)).toEqual(
            Either.right({ after: { score: score === 0 ? 0 : score, id }, window })
          )
          expect(decodeSearchCursor(`${query}x`, cursor)).toEqual(Either.left("made for another query"))
        }
      ),
      { numRuns: runs(100) }
    ))

  it("a cursor that is not one is refused", () => {
    expect(decodeSearchCursor("q", "not a cursor!")).toEqual(Either.left("not a cursor this engine made"))
    expect(decodeSearchCursor("q", Buffer.from("[\"list\",1,\"a\"]").toString("base64url")))
      .toEqual(Either.left("not a cursor this engine made"))
    // A cursor of before the scored window (position only) is not one either.
    expect(decodeSearchCursor("q", Buffer.from("[\"search\",\"q\",1,\"a\"]").toString("base64url")))
      .toEqual(Either.left("not a cursor this engine made"))
    // Characters outside base64url before or after a cursor (a decoder would skip them).
    const window = { oldest: 1, newest: 9, exhaustive: true }
    const cursor = encodeSearchCursor("q", { after: { score: -1.5, id: "t" }, window })
    expect(decodeSearchCursor("q", `!${cursor}`)).toEqual(Either.left("not a cursor this engine made"))
    expect(decodeSearchCursor("q", `${cursor}!`)).toEqual(Either.left("not a cursor this engine made"))
    // Longer than any query of the longest length makes.
    const long = "a".repeat(3 * MAX_QUERY_CHARS)
    expect(decodeSearchCursor(long, encodeSearchCursor(long, { after: { score: -1.5, id: "t" }, window })))
      .toEqual(Either.left("not a cursor this engine made"))
  })
})
