/**
 * SIGINT and SIGTERM (SPEC §12): the runtime interrupts the command, which stops at its next
 * safe point and says what it did; the process then exits 130 or 143, never 0.
 * @since 0.1.0
 */

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const

/** @since 0.1.0 */
export type StopSignal = keyof typeof EXIT_CODES

let received: StopSignal | undefined
let reported = false

/**
 * Records the first signal (the runtime's own listener interrupts the main fiber). A second
 * one exits at once: a batch in progress is one SQLite transaction, rolled back on next open.
 * @since 0.1.0
 */
export const install = (): void => {
  for (const signal of Object.keys(EXIT_CODES) as Array<StopSignal>) {
    process.on(signal, () => {
      if (received !== undefined) process.exit(EXIT_CODES[received])
      received = signal
    })
  }
}

/** The signal that stopped the command, if one did. @since 0.1.0 */
export const receivedSignal = (): StopSignal | undefined => received

/** The exit code of a command stopped by `signal`. @since 0.1.0 */
export const exitCodeOf = (signal: StopSignal): number => EXIT_CODES[signal]

/** A command that said what it did when interrupted marks it, so no generic line follows. @since 0.1.0 */
export const markReported = (): void => {
  reported = true
}

/** @since 0.1.0 */
export const wasReported = (): boolean => reported
