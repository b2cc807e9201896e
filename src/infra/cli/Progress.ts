/**
 * Progress for long CLI work: a self-overwriting line on a TTY, nothing otherwise.
 * @since 0.1.0
 */
import { colorAllowed } from "./Table.js"

/** @since 0.1.0 */
export interface Progress {
  readonly update: (done: number, detail?: string) => void
  readonly finish: () => void
}

const silent: Progress = { update: () => {}, finish: () => {} }

/**
 * A progress line on standard error when it is a terminal and `enabled`.
 * @since 0.1.0
 */
export const makeProgress = (label: string, total: number, enabled: boolean): Progress => {
  const stream = process.stderr
  // Its control codes are ANSI: none when output is piped or NO_COLOR is set (issue 18).
  if (!enabled || !colorAllowed(stream) || !process.stdout.isTTY) return silent
  const started = performance.now()
  let lastDraw = 0
  let drawn = false
  return {
    update: (done, detail) => {
      const now = performance.now()
      if (now - lastDraw < 100 && done < total) return
      lastDraw = now
      drawn = true
      const seconds = Math.max((now - started) / 1000, 0.001)
      const width = 24
      const filled = total > 0 ? Math.round((done / total) * width) : width
      const bar = "█".repeat(filled) + "░".repeat(width - filled)
      const rate = (done / seconds).toFixed(0)
      const text = `${label} ${bar} ${done}/${total} ${rate}/s${detail ? ` ${detail}` : ""}`
      stream.write(`\r\x1b[2K${text.slice(0, (stream.columns ?? 100) - 1)}`)
    },
    finish: () => {
      if (drawn) stream.write("\r\x1b[2K")
    }
  }
}
