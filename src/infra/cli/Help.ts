/**
 * The command line's own help and argument conventions (issue 18): help that names the full
 * command (`rollout-state threads list`), shows every default and marks optional flags as
 * optional, with none of @effect/cli's boilerplate; global options accepted before or after the
 * subcommand. The help is read from the commands' @effect/cli descriptors, so a command added to
 * main.ts has help without more work. Those descriptors are @effect/cli internals: the bundle
 * pins its version (scripts/bundle.ts), and test/infra/cli/ConventionsCli.test.ts checks them.
 * @since 0.1.0
 */

/** A node of an @effect/cli descriptor (options, args, command, help doc): a tagged object. */
interface Node {
  readonly _tag: string
  readonly [key: string]: unknown
}

const node = (value: unknown): Node => value as Node

/** The plain text of a HelpDoc or Span. */
const text = (doc: unknown): string => {
  const n = node(doc)
  if (n === undefined || n === null || typeof n !== "object") return ""
  switch (n._tag) {
    case "Text":
    case "Code":
    case "URI":
      return String(n["value"])
    case "Paragraph":
    case "Header":
    case "Strong":
    case "Highlight":
    case "Weak":
    case "Error":
      return text(n["value"])
    case "Sequence":
    case "Spans":
      return [text(n["left"]), text(n["right"]), ...((n["spans"] as Array<unknown> | undefined) ?? []).map(text)]
        .filter((s) => s.length > 0).join(n._tag === "Sequence" ? " " : "")
    default:
      return ""
  }
}

/** @since 0.1.0 */
export interface OptionHelp {
  readonly flag: string
  readonly placeholder: string
  readonly description: string
  readonly default: string | undefined
  readonly optional: boolean
  readonly repeated: boolean
}

const placeholderOf = (name: string, primitive: Node): string => {
  switch (primitive._tag) {
    case "Bool":
      return ""
    case "Choice":
      return (primitive["alternatives"] as Array<[string, unknown]>).map(([choice]) => choice).join("|")
    case "Integer":
      return "N"
    default:
      return name === "home" ? "DIR" : name === "db" ? "FILE" : name.toUpperCase()
  }
}

const fallbackText = (fallback: unknown): string | undefined => {
  const f = fallback as { _tag?: unknown; value?: unknown } | null
  if (f !== null && typeof f === "object" && (f._tag === "None" || f._tag === "Some")) {
    return f._tag === "Some" ? String(f.value) : undefined
  }
  return fallback === false ? undefined : String(fallback)
}

/** The options of an @effect/cli `Options` value, flattened. */
export const optionsOf = (options: unknown): Array<OptionHelp> => {
  const n = node(options)
  switch (n._tag) {
    case "Single": {
      const primitive = node(n["primitiveType"])
      const name = String(n["name"])
      return [{
        flag: `--${name}`,
        placeholder: node(n["pseudoName"])._tag === "Some" && primitive._tag !== "Bool"
          ? String((n["pseudoName"] as { readonly value: unknown }).value)
          : placeholderOf(name, primitive),
        description: text(n["description"]),
        default: undefined,
        optional: primitive._tag === "Bool",
        repeated: false
      }]
    }
    case "WithDefault":
      return optionsOf(n["options"]).map((o) => ({ ...o, optional: true, default: fallbackText(n["fallback"]) }))
    case "Variadic":
      return optionsOf(n["argumentOption"]).map((o) => ({ ...o, optional: true, repeated: true }))
    case "Map":
    case "WithFallback":
      return optionsOf(n["options"])
    case "Both":
    case "OrElse":
      return [...optionsOf(n["left"]), ...optionsOf(n["right"])]
    default:
      return []
  }
}

/** @since 0.1.0 */
export interface ArgHelp {
  readonly name: string
  readonly description: string
}

const argsOf = (args: unknown): Array<ArgHelp> => {
  const n = node(args)
  switch (n._tag) {
    case "Single":
      return [{
        name: String(
          n["pseudoName"] && node(n["pseudoName"])._tag === "Some"
            ? (n["pseudoName"] as { value: string }).value
            : n["name"]
        ),
        description: text(n["description"])
      }]
    case "Map":
    case "WithDefault":
    case "Variadic":
      return argsOf(n["args"] ?? n["options"])
    case "Both":
      return [...argsOf(n["left"]), ...argsOf(n["right"])]
    default:
      return []
  }
}

/** @since 0.1.0 */
export interface CommandHelp {
  readonly name: string
  readonly description: string
  readonly options: ReadonlyArray<OptionHelp>
  readonly args: ReadonlyArray<ArgHelp>
  readonly children: ReadonlyArray<CommandHelp>
}

const commandOf = (descriptor: unknown): CommandHelp => {
  const n = node(descriptor)
  switch (n._tag) {
    case "Standard":
      return {
        name: String(n["name"]),
        description: text(n["description"]),
        options: optionsOf(n["options"]),
        args: argsOf(n["args"]),
        children: []
      }
    case "Map":
      return commandOf(n["command"])
    case "Subcommands":
      return {
        ...commandOf(n["parent"]),
        children: (n["children"] as Array<unknown>).map(commandOf)
      }
    default:
      return { name: "", description: "", options: [], args: [], children: [] }
  }
}

/** The help tree of an @effect/cli `Command`. @since 0.1.0 */
export const commandHelp = (command: unknown): CommandHelp =>
  commandOf((command as { readonly descriptor: unknown }).descriptor)

/** Options every command that reads a home takes, accepted before or after the subcommand. */
export const GLOBAL_OPTIONS: ReadonlyArray<{ readonly flag: string; readonly takesValue: boolean }> = [
  { flag: "--home", takesValue: true },
  { flag: "--db", takesValue: true },
  { flag: "--json", takesValue: false }
]

const BUILT_IN = `  ${"--help, -h".padEnd(26)}show this help`

const optionLine = (o: OptionHelp): string => {
  const left = `${o.flag}${o.placeholder === "" ? "" : ` ${o.placeholder}`}`
  const notes = [
    ...(o.default === undefined ? [] : [`default: ${o.default}`]),
    ...(o.repeated ? ["repeatable"] : [])
  ]
  const description = [o.description, ...(notes.length === 0 ? [] : [`(${notes.join("; ")})`])].filter((s) => s !== "")
    .join(" ")
  return `  ${left.padEnd(26)}${left.length >= 26 ? `\n  ${" ".repeat(26)}` : ""}${description}`
}

const usageOf = (path: string, o: OptionHelp): string => {
  const flag = `${o.flag}${o.placeholder === "" ? "" : ` ${o.placeholder}`}${o.repeated ? "…" : ""}`
  return o.optional ? `[${flag}]` : flag
}

/** The command at `path` (names after `rollout-state`), or undefined when the path names none. @since 0.1.0 */
export const commandAt = (root: CommandHelp, path: ReadonlyArray<string>): CommandHelp | undefined => {
  let command = root
  for (const name of path) {
    const child = command.children.find((c) => c.name === name)
    if (child === undefined) return undefined
    command = child
  }
  return command
}

/**
 * The help of the command at `path` (names after `rollout-state`), or undefined when the path
 * names no command.
 * @since 0.1.0
 */
export const renderHelp = (root: CommandHelp, path: ReadonlyArray<string>, version: string): string | undefined => {
  const command = commandAt(root, path)
  if (command === undefined) return undefined
  const full = [root.name, ...path].join(" ")
  const lines = [`${full} — ${command.description}${path.length === 0 ? ` (version ${version})` : ""}`, ""]
  if (command.children.length > 0) {
    lines.push(`usage: ${full} <command> [options]`, "", "commands:")
    const width = Math.max(...command.children.map((c) => c.name.length)) + 2
    for (const child of command.children) lines.push(`  ${child.name.padEnd(width)}${child.description}`)
    lines.push(
      "",
      `Run \`${full} <command> --help\` for a command's options. --home DIR, --db FILE and --json may come before or after the command.`
    )
    if (path.length === 0) lines.push("", "options:", `  ${"--version".padEnd(26)}print the version`, BUILT_IN)
    return lines.join("\n")
  }
  const usage = [full, ...command.options.map((o) => usageOf(full, o)), ...command.args.map((a) => a.name)]
  lines.push(`usage: ${usage.join(" ")}`, "")
  if (command.args.length > 0) {
    lines.push("arguments:")
    for (const a of command.args) lines.push(`  ${a.name.padEnd(26)}${a.description}`)
    lines.push("")
  }
  lines.push("options:", ...command.options.map(optionLine), BUILT_IN)
  return lines.join("\n")
}

/** @since 0.1.0 */
export interface ParsedArgv {
  /** The arguments with global options moved behind the subcommand path. */
  readonly args: ReadonlyArray<string>
  /** The subcommand names given, in order. */
  readonly path: ReadonlyArray<string>
  readonly help: boolean
}

/**
 * Finds the subcommand path in `args` (after `rollout-state`), whether help is asked for, and
 * moves global options given before the path's end to after it, where @effect/cli reads them.
 * @since 0.1.0
 */
export const normalizeArgv = (root: CommandHelp, args: ReadonlyArray<string>): ParsedArgv => {
  const path: Array<string> = []
  const moved: Array<string> = []
  const rest: Array<string> = []
  let command = root
  let help = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") {
      rest.push(...args.slice(i))
      break
    }
    if (arg === "--help" || arg === "-h") {
      help = true
      continue
    }
    const child = command.children.find((c) => c.name === arg)
    if (child !== undefined && rest.length === 0) {
      path.push(arg)
      command = child
      continue
    }
    const global = GLOBAL_OPTIONS.find((g) => arg === g.flag || arg.startsWith(`${g.flag}=`))
    if (global !== undefined && command.children.length > 0) {
      moved.push(arg)
      if (global.takesValue && !arg.includes("=") && i + 1 < args.length) moved.push(args[++i]!)
      continue
    }
    rest.push(arg)
  }
  return { args: [...path, ...moved, ...rest], path, help }
}
