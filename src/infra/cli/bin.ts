#!/usr/bin/env node
/**
 * The `rollout-state` executable: loads the command line, or says which optional peer
 * dependencies it needs when a host installed the library without them.
 * @since 0.1.0
 */
const CLI_PEERS = ["@effect/cli", "@effect/platform-node"]

const missingPeer = (error: unknown): string | undefined => {
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (code !== "ERR_MODULE_NOT_FOUND" || typeof message !== "string") return undefined
  return CLI_PEERS.find((name) => message.includes(`'${name}'`))
}

try {
  await import("./main.js")
} catch (error) {
  const peer = missingPeer(error)
  if (peer === undefined) throw error
  process.stderr.write(
    `rollout-state: the command line needs ${peer} (an optional peer dependency): npm install ${CLI_PEERS.join(" ")}\n`
  )
  process.exitCode = 2
}
