import { describe, expect, it } from "vitest"
import { normalizeCwd } from "../../src/domain/WorkingDirectory.js"

describe("normalizeCwd", () => {
  it.each([
    ["/home/u/.", "/home/u"],
    ["/home/u/", "/home/u"],
    ["/home//u", "/home/u"],
    ["/a/b/../c", "/a/c"],
    ["/a/./b/.", "/a/b"],
    ["/..", "/"],
    ["/../a", "/a"],
    ["/", "/"],
    ["/.", "/"],
    ["a/b/..", "a"],
    ["../x/./y/", "../x/y"],
    ["./", "."],
    ["a/..", "."],
    ["", ""],
    ["C:\\Users\\u\\.", "C:\\Users\\u"],
    ["C:/Users/u/../v/", "C:\\Users\\v"],
    ["C:\\", "C:\\"],
    ["C:\\..", "C:\\"],
    ["\\\\server\\share\\x\\..", "\\\\server\\share"],
    ["\\\\server\\share\\x\\.\\y\\", "\\\\server\\share\\x\\y"]
  ])("%s is stored as %s", (path, expected) => {
    expect(normalizeCwd(path)).toBe(expected)
  })

  it("is idempotent", () => {
    for (const path of ["/a/b/../c/.", "C:\\a\\..\\b\\", "../../x", "\\\\s\\h\\a\\..", "x"]) {
      expect(normalizeCwd(normalizeCwd(path))).toBe(normalizeCwd(path))
    }
  })
})
