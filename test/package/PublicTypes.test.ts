import { describe, expect, it } from "@effect/vitest"
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

describe("the package's public types", () => {
  it("finds a type a public signature names but the entry does not export (the check can fail)", () => {
    expect(unexportedPublicTypes(join(ROOT, "test/fixtures/public-types/index.ts"), compilerOptions())).toEqual([
      "impl.d.ts: Hidden (from Report)",
      "impl.d.ts: Report (from make)"
    ])
  })

  it("every type that appears in a signature exported from src/index.ts is itself exported", () => {
    expect(unexportedPublicTypes(join(ROOT, "src/index.ts"), compilerOptions())).toEqual([])
  })
})
