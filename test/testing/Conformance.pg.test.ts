/**
 * The conformance kit against PostgreSQL: the same cases as on SQLite, the two-hosts case, and
 * the model-based property. A server that does not answer fails the cases saying so.
 */
import { postgres } from "../../src/testing/EngineFactory.js"
import { describeConformance } from "../../src/testing/vitest.js"
import { PG_URL } from "../fixtures/dialects.js"

describeConformance("conformance on PostgreSQL", postgres(PG_URL), { model: 10 })
