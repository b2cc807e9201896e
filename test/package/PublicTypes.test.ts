import { describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { unexportedPublicTypes } from "./publicTypes.js"

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..")

const compilerOptions = () => {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))
    }
  })
  if (config === undefined) throw new Error("tsconfig.json: not parsed")
  return config.options
}

interface Exported {
  readonly types: string
  readonly default: string
}

/** Each entry of package.json's `exports` and the module of `src` it is built from (tsc: dist/src/X.js ← src/X.ts). */
const packageEntries = (): Record<string, string> => {
  const exports = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    exports: Record<string, Exported>
  }).exports
  return Object.fromEntries(
    Object.entries(exports).map(([name, target]) => {
      const source = /^\.\/dist\/(src\/.+)\.js$/.exec(target.default)?.[1]
      if (source === undefined || target.types !== `./dist/${source}.d.ts`) {
        throw new Error(`package.json exports ${name}: ${JSON.stringify(target)} is not a module of src with its types`)
      }
      return [name, `${source}.ts`]
    })
  )
}

describe("the package's public types", () => {
  it("finds a type a public signature names but the entry does not export (the check can fail)", () => {
    expect(unexportedPublicTypes(join(ROOT, "test/fixtures/public-types/index.ts"), compilerOptions())).toEqual([
      "impl.d.ts: Hidden (from Report)",
      "impl.d.ts: Report (from make)"
    ])
  })

  it("every entry package.json exports is built from a module of src, its declarations beside it", () => {
    expect(Object.entries(packageEntries())).toEqual([
      [".", "src/index.ts"],
      ["./pg", "src/pg.ts"],
      ["./testing", "src/testing/index.ts"],
      ["./testing/vitest", "src/testing/vitest.ts"]
    ])
    for (const source of Object.values(packageEntries())) expect(existsSync(join(ROOT, source))).toBe(true)
  })

  it("every type that appears in a signature exported from an entry of the package is exported by one of them", () => {
    const entries = Object.values(packageEntries()).map((source) => join(ROOT, source))
    expect(unexportedPublicTypes(entries, compilerOptions())).toEqual([])
  }, 180_000)
})
