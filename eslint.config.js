// Type-aware lint and the formatter check, over every target (src, test, bench).
// Rule choices are recorded in docs/decisions.md ("Packaging, install and lint").
import effect from "@effect/eslint-plugin"
import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "bench/out/**",
      "scratch/**",
      // A host project's code: scripts/host-check type-checks it against the packed tarball.
      "scripts/host/**",
      "coverage/**",
      "reports/**",
      ".stryker-tmp/**"
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.js", "vitest.config.ts", "vitest.mutate.config.ts"] },
        tsconfigRootDir: import.meta.dirname
      }
    },
    plugins: { "@effect": effect },
    rules: {
      // Effect's own formatting (dprint), which the code base is written in.
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/only-throw-error": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
      eqeqeq: ["error", "always", { null: "ignore" }]
    }
  }
)
