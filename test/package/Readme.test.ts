import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const GLOBAL_OPTIONS = ["--home", "--db", "--host-id", "--json"]

interface CommandHelp {
  readonly name: string
  readonly options: ReadonlyArray<{ readonly flag: string }>
  readonly children: ReadonlyArray<CommandHelp>
}

/** `--help --json` prints the command tree: every leaf command with its path and options. */
const helpCommands = () => {
  const raw = execFileSync(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src/infra/cli/main.ts"), "--help", "--json"],
    { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } }
  )
  const leaves = (command: CommandHelp, path: ReadonlyArray<string>): Array<{ name: string; options: Array<string> }> =>
    command.children.length === 0
      ? [{ name: path.join(" "), options: command.options.map((o) => o.flag) }]
      : command.children.flatMap((child) => leaves(child, [...path, child.name]))
  return leaves(JSON.parse(raw) as CommandHelp, [])
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
    const commands = helpCommands()
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
