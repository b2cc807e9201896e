// The tests a mutation run (`npm run mutate`) uses: those that exercise src/domain and
// src/projections and are fast; the engine, store and CLI suites stay out (they would make a run hours).
import { defineConfig } from "vitest/config"
import base from "./vitest.config.js"

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // A mutation run shares the machine with its own test runner and others: the dry run of the
    // SQLite list properties overran the base 60 s under load, which aborts the whole run.
    testTimeout: 300_000,
    // No CLI test runs here: the bundle the base setup builds for them is not needed.
    globalSetup: ["test/setup/tempRoot.ts"],
    // Replaces the base list (mergeConfig would append to it).
    include: [
      "test/domain/**/*.test.ts",
      "test/projections/**/*.test.ts",
      "test/properties/Fold.test.ts",
      "test/properties/PayloadGuards.test.ts",
      "test/properties/JsonSkip.test.ts",
      // Reaches src/domain/ThreadMessages.ts (which lines a fold indexes), otherwise covered only
      // by the engine suites.
      "test/properties/Reader.test.ts",
      // The one suite of src/projections/ThreadSearch.ts: its queries run on an engine's database.
      "test/infra/engine/Search.test.ts"
    ]
  }
})
