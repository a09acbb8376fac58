// Lint of the page scripts and their unit tests: ESLint's recommended rules.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/", ".venv/", "staticfiles/", "tests/artifacts/"] },
  js.configs.recommended,
  {
    files: ["frontend/static/frontend/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
  },
  {
    files: ["frontend/static/frontend/tests/**/*.mjs", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
