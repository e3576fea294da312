// `npm run test:integration`: the test files that start processes or servers (test/tiers.ts).
import { defineConfig } from 'vitest/config';
import { INTEGRATION } from './test/tiers.js';

export default defineConfig({
  test: {
    include: [...INTEGRATION],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
