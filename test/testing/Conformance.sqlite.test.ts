/**
 * The conformance kit against the embedded default. The model-based property runs on its own in
 * test/properties/Engine.test.ts.
 */
import { sqlite } from "../../src/testing/EngineFactory.js"
import { describeConformance } from "../../src/testing/vitest.js"

describeConformance("conformance on SQLite", sqlite, { model: false })
