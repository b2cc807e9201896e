/**
 * Terminal output for people: a table that fits the width, with a header; and whether colour
 * (ANSI) is allowed at all — only on a TTY and never with `NO_COLOR` (issue 18).
 * @since 0.1.0
 */

/** @since 0.1.0 */
export interface Column<A> {
  readonly header: string
  readonly value: (row: A) => string
  /** The column that gives up width when the table is too wide (one per table). */
  readonly flexible?: boolean
  readonly align?: "left" | "right"
}

/** @since 0.1.0 */
export const colorAllowed = (stream: NodeJS.WriteStream): boolean =>
  stream.isTTY === true && (process.env["NO_COLOR"] ?? "") === ""

/** The terminal's width, or 120 when stdout is not one (a pipe keeps whole lines). */
export const terminalWidth = (): number => (process.stdout.isTTY ? process.stdout.columns || 80 : 120)

const cut = (text: string, width: number): string =>
  text.length <= width ? text : width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`

/**
 * The rows as a table no wider than `width`: columns two spaces apart; the flexible column is
 * cut (with …) to what is left, the others keep their widest cell.
 * @since 0.1.0
 */
export const renderTable = <A>(
  columns: ReadonlyArray<Column<A>>,
  rows: ReadonlyArray<A>,
  width: number = terminalWidth()
): string => {
  const cells = rows.map((row) => columns.map((c) => c.value(row).replace(/\s+/g, " ")))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((line) => line[i]!.length)))
  const flexible = columns.findIndex((c) => c.flexible === true)
  if (flexible >= 0) {
    const others = widths.reduce((sum, w, i) => (i === flexible ? sum : sum + w), 0) + 2 * (columns.length - 1)
    widths[flexible] = Math.max(Math.min(widths[flexible]!, width - others), columns[flexible]!.header.length, 8)
  }
  const line = (values: ReadonlyArray<string>) =>
    values.map((v, i) => {
      const text = cut(v, widths[i]!)
      return columns[i]!.align === "right" ? text.padStart(widths[i]!) : text.padEnd(widths[i]!)
    }).join("  ").trimEnd()
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join("\n")
}
