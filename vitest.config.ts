// `npm test`'s tier: every test file but those that start processes or servers (test/tiers.ts,
// run by `npm run test:integration`).
import { defineConfig } from 'vitest/config';
import { INTEGRATION } from './test/tiers.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', ...INTEGRATION],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
