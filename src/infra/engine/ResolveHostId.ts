/**
 * Which host this process is in a fleet (issue 20): `--host-id`, else `ROLLOUT_STATE_HOST_ID`,
 * else the machine's host name (`os.hostname()`, normalized by `hostIdFromHostname`). The host
 * name is the kernel's, set at boot from the system's configuration (`/etc/hostname`), so it
 * stays the same across restarts and network changes, unlike an address; a host whose name is
 * not unique in the fleet, or changes, sets the id explicitly.
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import { hostname } from "node:os"
import { type HostId, hostIdFromHostname, parseHostId } from "../../domain/HostId.js"
import { InvalidInput } from "./EngineError.js"

/** @since 0.1.0 */
export const HOST_ID_ENV = "ROLLOUT_STATE_HOST_ID"

/** @since 0.1.0 @category models */
export interface HostIdSources {
  /** The `--host-id` option, when given. */
  readonly flag?: string | undefined
  /** The environment (default: `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** The machine's host name (default: `os.hostname`). */
  readonly hostname?: () => string
}

/**
 * The host id, or an `InvalidInput` naming where the bad one came from.
 * @since 0.1.0
 */
export const resolveHostId = (sources: HostIdSources = {}): Effect.Effect<HostId, InvalidInput> =>
  Effect.suspend(() => {
    const given = (what: string, value: string) =>
      Either.match(parseHostId(value), {
        onLeft: (reason) => Effect.fail(new InvalidInput({ what, reason })),
        onRight: Effect.succeed
      })
    if (sources.flag !== undefined) return given("--host-id", sources.flag)
    const fromEnv = (sources.env ?? process.env)[HOST_ID_ENV]
    if (fromEnv !== undefined) return given(HOST_ID_ENV, fromEnv)
    const name = (sources.hostname ?? hostname)()
    const derived = hostIdFromHostname(name)
    return derived === undefined
      ? Effect.fail(
        new InvalidInput({
          what: "host id",
          reason: `the host name ${JSON.stringify(name)} gives no host id: set --host-id or ${HOST_ID_ENV}`
        })
      )
      : Effect.succeed(derived)
  })
