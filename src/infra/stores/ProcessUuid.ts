/**
 * This process's identity in the `logs` table: `pid:<pid>:<uuid v4>`, fixed once per process
 * (the uuid tells apart two processes that reused a pid).
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"

/**
 * `pid:<pid>:<uuid v4>`.
 * @since 0.1.0
 */
export const PROCESS_UUID_PATTERN = /^pid:\d+:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/**
 * This process's `process_uuid`.
 * @since 0.1.0
 */
export const PROCESS_UUID: string = `pid:${process.pid}:${randomUUID()}`
