// The tests `npm run mutate` (StrykerJS) runs against each mutant: the unit tests that import the
// safety core directly. Tests that spawn the built CLI or the Pulumi engine run dist/, which a
// mutant of src/ never reaches, so they are left out here (npm test runs them).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/core/pool-state.test.ts',
      'test/core/pool-state-validation.test.ts',
      'test/deploy/executor.test.ts',
      'test/deploy/executor-safety.test.ts',
      'test/deploy/journal.test.ts',
      'test/deploy/journal-safety.test.ts',
      'test/deploy/lock.test.ts',
      'test/deploy/lock-safety.test.ts',
      'test/deploy/transitions.test.ts',
      'test/deploy/hooks.test.ts',
      'test/deploy/pulumi.test.ts',
      'test/deploy/sim.test.ts',
      'test/plan/*.test.ts',
      'test/risk/standby.test.ts',
      'test/risk/standby-thresholds.test.ts',
      'test/risk/isotonic.test.ts',
      'test/risk/model-contract.test.ts',
      'test/risk/calibration.test.ts',
      'test/risk/consensus.test.ts',
      'test/risk/score.test.ts',
      'test/risk/promote.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
