// Lint: the recommended JS rules and typescript-eslint's type-checked rules
// (floating and misused promises are bugs in code this asynchronous), and
// workspace boundaries: no relative import may leave its workspace; another
// workspace is reached by its package name, through a declared dependency.
// Generated protobuf code is not ours to lint.
import js from "@eslint/js";
import importX from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "services/proto/gen/**", "services/proto/vendor/**", "services/conformance/gen/**", ".local/**", "charts/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "import-x": importX },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // node:test's describe/it return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"] }] },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "import-x/no-relative-packages": "error",
      // Every package a file imports is declared by its workspace (tests and tools may use devDependencies).
      "import-x/no-extraneous-dependencies": ["error", { devDependencies: ["**/*.test.ts", "**/test/**", "**/test-*.ts", "scripts/*.ts", "scripts/bench/**", "eslint.config.js"] }],
      // An async function without await is how an interface that returns promises is implemented
      // by something synchronous (a dry run, a fake node); floating and misused promises are the bugs.
      "@typescript-eslint/require-await": "off",
    },
  },
  { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
);
