import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { stripVTControlCharacters } from "node:util"

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const GLOBAL_OPTIONS = ["--home", "--db", "--json"]

/** The root `--help` lists every command as `- <path> [options] <args>  description`. */
const helpCommands = () => {
  const raw = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "src/infra/cli/main.ts"), "--help"], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" }
  })
  const help = stripVTControlCharacters(raw)
  const lines = help.slice(help.indexOf("COMMANDS")).split("\n").filter((line) => line.startsWith("  - "))
  return lines.map((line) => {
    const usage = line.slice(4).split(/\s{2,}/)[0]!
    const name = usage.split(/\s+(?=[[<-])/)[0]!
    return { name, options: [...usage.matchAll(/--[a-z-]+/g)].map((match) => match[0]) }
  })
}

/** The README's CLI table rows, keyed by the command in their first cell. */
const readmeRows = () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8")
  const table = readme.slice(readme.indexOf("## CLI"), readme.indexOf("## Library"))
  return table.split("\n").filter((line) => line.startsWith("| `")).map((line) => ({
    name: /^\| `([a-z ]+?)(?: [A-Z[-].*)?`/.exec(line)?.[1] ?? "",
    row: line
  }))
}

describe("README", () => {
  it("the CLI table has a row for every command --help lists, naming each of its options", () => {
    // Parents of subcommands have no row of their own.
    const commands = helpCommands().filter((command) => !["threads", "memories", "goals"].includes(command.name))
    expect(commands.length).toBeGreaterThan(10)
    const rows = new Map(readmeRows().map((row) => [row.name, row.row]))
    const missing = commands.flatMap((command) => {
      const row = rows.get(command.name)
      if (row === undefined) return [`${command.name}: no row`]
      return command.options.filter((option) => !GLOBAL_OPTIONS.includes(option) && !row.includes(option))
        .map((option) => `${command.name}: ${option}`)
    })
    expect(missing).toEqual([])
    expect([...rows.keys()].sort()).toEqual(commands.map((command) => command.name).sort())
  })
})
