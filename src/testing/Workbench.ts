/**
 * A case's bench: a scratch folder with a home and a fresh database, removed with the scope,
 * and the engine opened over them as often as the case restarts it.
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer, type Scope } from "effect"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Engine } from "../infra/engine/Engine.js"
import type { EngineError } from "../infra/engine/EngineError.js"
import type { EngineFactory, OpenOptions } from "./EngineFactory.js"

/** @since 0.1.0 @category models */
export type Reopen<D> = Partial<Omit<OpenOptions<D>, "home" | "database">>

/** @since 0.1.0 @category models */
export interface Workbench<D, E> {
  readonly dir: string
  readonly home: string
  readonly database: D
  /** A new open of the engine (a restart), with the bench's options and `options` over them. */
  readonly open: (options?: Reopen<D>) => Layer.Layer<Engine | SqlClient.SqlClient, EngineError | E>
  /** Opens the engine, runs `use` with it and its `SqlClient`, closes it. */
  readonly withEngine: <A, E2>(
    use: (engine: Engine, sql: SqlClient.SqlClient) => Effect.Effect<A, E2>,
    options?: Reopen<D>
  ) => Effect.Effect<A, E2 | EngineError | E>
}

/**
 * A bench for one case (or one run of a property): `base` options apply to every open.
 * @since 0.1.0
 */
export const workbench = <D, E>(
  factory: EngineFactory<D, E>,
  base: Reopen<D> = {}
): Effect.Effect<Workbench<D, E>, E, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "rollout-state-conformance-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const home = join(dir, "home")
    mkdirSync(home)
    const database = yield* factory.database(dir)
    const open = (options: Reopen<D> = {}) => Layer.fresh(factory.layer({ ...base, ...options, home, database }))
    return {
      dir,
      home,
      database,
      open,
      withEngine: (use, options) =>
        Effect.flatMap(Effect.zip(Engine, SqlClient.SqlClient), ([engine, sql]) => use(engine, sql)).pipe(
          Effect.provide(open(options))
        )
    }
  })
