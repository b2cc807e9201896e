import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { HOST_ID_ENV, resolveHostId } from "../../../src/infra/engine/ResolveHostId.js"

const machine = () => "Machine.Local"

describe("resolveHostId", () => {
  it.effect("--host-id comes first, then the environment, then the machine's host name", () =>
    Effect.gen(function*() {
      const env = { [HOST_ID_ENV]: "from-env" }
      expect(yield* resolveHostId({ flag: "from-flag", env, hostname: machine })).toBe("from-flag")
      expect(yield* resolveHostId({ env, hostname: machine })).toBe("from-env")
      expect(yield* resolveHostId({ env: {}, hostname: machine })).toBe("machine.local")
    }))

  it.effect("a bad id given is an InvalidInput naming its source; it is not normalized", () =>
    Effect.gen(function*() {
      const flag = yield* Effect.flip(resolveHostId({ flag: "a/b", env: {}, hostname: machine }))
      expect([flag._tag, flag.what, flag.reason]).toEqual(["InvalidInput", "--host-id", "\"a/b\" contains a /"])
      const env = yield* Effect.flip(resolveHostId({ env: { [HOST_ID_ENV]: "" }, hostname: machine }))
      expect([env.what, env.reason]).toEqual([HOST_ID_ENV, "\"\" is empty"])
    }))

  it.effect("a host name that gives no id asks for one", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolveHostId({ env: {}, hostname: () => "." }))
      expect(error.reason).toMatch(/gives no host id: set --host-id or ROLLOUT_STATE_HOST_ID/)
    }))

  it.effect("by default the id comes from this machine and is stable from one call to the next", () =>
    Effect.gen(function*() {
      const first = yield* resolveHostId({ env: {} })
      expect(yield* resolveHostId({ env: {} })).toBe(first)
    }))
})
