// Lint rules: ESLint's recommended set plus typescript-eslint's, type-aware where it catches
// real bugs (floating promises, unsafe awaits), and the layers of src/ as an import rule.
// Formatting is Prettier's job, not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What each directory of src/ may import from the others (types included): the pure core at the
 * bottom; inputs, models and policies on it; the planner and the deployer above them; the run
 * pipeline over those; `simulate` over the pipeline; reports over both; the CLI over everything. An import
 * across any other edge fails `npm run lint` (test/lint/layers.test.ts holds the rule to it).
 */
export const LAYERS = {
  core: [],
  calendars: ['core'],
  metrics: ['core'],
  forecast: ['core'],
  risk: ['core'],
  policy: ['core'],
  plan: ['core', 'policy'],
  deploy: ['core', 'metrics', 'policy'],
  pipeline: ['core', 'calendars', 'metrics', 'forecast', 'risk', 'policy', 'plan', 'deploy'],
  simulate: ['core', 'calendars', 'metrics', 'forecast', 'risk', 'policy', 'plan', 'deploy', 'pipeline'],
  report: ['core', 'risk', 'policy', 'plan', 'deploy', 'pipeline', 'simulate'],
  cli: [
    'core',
    'calendars',
    'metrics',
    'forecast',
    'risk',
    'policy',
    'plan',
    'deploy',
    'pipeline',
    'simulate',
    'report',
  ],
};

/** One config object per layer: a relative import that leaves the directory for one it may not use. */
export const layerRules = Object.entries(LAYERS).flatMap(([layer, allowed]) => {
  const others = Object.keys(LAYERS).filter((d) => d !== layer && !allowed.includes(d));
  if (others.length === 0) return [];
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${others.join('|')})/`,
              message: `src/${layer} may import only ${allowed.length ? allowed.map((d) => `src/${d}`).join(', ') : 'itself'} (the layers in eslint.config.js)`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.stryker-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
);
