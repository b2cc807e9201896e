/**
 * `rollout-state/pg`: the PostgreSQL database a fleet of hosts shares, for hosts that run the
 * stores (memory jobs, goals, logs) on it beside the engine. Its own entry, so that importing
 * `rollout-state` never loads the optional peer `@effect/sql-pg`; `Engine.layer` loads it by
 * itself when given a PostgreSQL URL.
 * @since 0.1.0
 */
export * as PgDatabase from "./infra/pg/PgDatabase.js"
