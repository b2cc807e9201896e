/**
 * Replays a failed property: `FC_SEED=<seed> FC_PATH=<path>` (as fast-check printed them) apply
 * to every property of the run.
 */
import { FastCheck as fc } from "effect"

const seed = process.env["FC_SEED"]
const path = process.env["FC_PATH"]
if (seed !== undefined && seed !== "") {
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed), ...(path ? { path } : {}) })
}
