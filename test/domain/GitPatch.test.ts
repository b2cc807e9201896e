import { describe, expect, it } from "vitest"
import { gitColumns } from "../../src/domain/GitInfo.js"
import { applyGitPatch, gitInfoOf, gitPatchProblem } from "../../src/domain/GitPatch.js"

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

  it("refuses an empty patch and one with an empty string, naming the problem", () => {
    expect(gitPatchProblem({})).toBe("empty patch: give at least one of gitSha, gitBranch, gitOriginUrl")
    for (const patch of [{ gitSha: "" }, { gitBranch: "" }, { gitOriginUrl: "" }]) {
      const problem = gitPatchProblem(patch)
      expect(problem).toMatch(/^invalid patch: /)
      expect(problem).toContain(Object.keys(patch)[0]!)
    }
    expect(gitPatchProblem({ gitSha: null })).toBeUndefined()
    expect(gitPatchProblem({ gitBranch: "b" })).toBeUndefined()
    expect(gitPatchProblem({ gitOriginUrl: "u" })).toBeUndefined()
  })

  it("turns columns into the session meta's git object and back", () => {
    const info = gitInfoOf(current)
    expect(info).toEqual({ commit_hash: "abc", branch: "main", repository_url: "https://example.com/r.git" })
    expect(gitColumns(info)).toEqual(current)
    expect(gitColumns({})).toEqual({ gitSha: null, gitBranch: null, gitOriginUrl: null })
  })
})
