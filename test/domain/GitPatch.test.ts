import { describe, expect, it } from "vitest"
import { gitColumns } from "../../src/domain/GitInfo.js"
import { applyGitPatch, gitInfoOf } from "../../src/domain/GitPatch.js"

const current = { gitSha: "abc", gitBranch: "main", gitOriginUrl: "https://example.com/r.git" }

describe("git patches", () => {
  it("keeps absent fields, clears null ones and sets the others", () => {
    expect(applyGitPatch(current, {})).toEqual(current)
    expect(applyGitPatch(current, { gitSha: "def" })).toEqual({ ...current, gitSha: "def" })
    expect(applyGitPatch(current, { gitBranch: null })).toEqual({ ...current, gitBranch: null })
    expect(applyGitPatch(current, { gitOriginUrl: "u" })).toEqual({ ...current, gitOriginUrl: "u" })
    expect(applyGitPatch(current, { gitSha: null, gitBranch: "b", gitOriginUrl: null })).toEqual({
      gitSha: null,
      gitBranch: "b",
      gitOriginUrl: null
    })
  })

  it("turns columns into the session meta's git object and back", () => {
    const info = gitInfoOf(current)
    expect(info).toEqual({ commit_hash: "abc", branch: "main", repository_url: "https://example.com/r.git" })
    expect(gitColumns(info)).toEqual(current)
    expect(gitColumns({})).toEqual({ gitSha: null, gitBranch: null, gitOriginUrl: null })
  })
})
