// .github/workflows/pulumi.yml cannot run here (no Pulumi CLI, no GitHub): this checks that it
// parses and still does what the README says: the e2e tests (the program's and the deployer's)
// with the CLI installed and required. The policy pack's preview of both example stacks on a pull
// request that touches policies/ is policy-pr.yml's (test/workflows/policy-pr.test.ts).

import { describe, expect, it } from 'vitest';
import { type Step, readWorkflow, runs } from '../support/workflow.js';

const workflow = readWorkflow('pulumi.yml');

describe('the pulumi workflow', () => {
  it('runs on every push and pull request, on a file backend with an empty passphrase', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.env!.PULUMI_CONFIG_PASSPHRASE).toBe('');
  });

  it('installs Node 20 and the CLI (install only), then requires the e2e tests to run', () => {
    const e2e = workflow.jobs.e2e!;
    expect(e2e.if).toBeUndefined();
    expect(e2e.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']).toBe(20);
    expect(runs(e2e)).toContain('npm ci');
    const install = e2e.steps.find((s) => s.uses?.startsWith('pulumi/actions@'));
    expect(install).toBeDefined();
    expect(install!.with?.command).toBeUndefined();
    const test = e2e.steps.find((s) =>
      s.run?.includes('vitest run -c vitest.integration.config.ts test/stacks/e2e.test.ts'),
    );
    expect(test?.env?.SHADOWCAST_E2E_REQUIRED).toBe('1');
    // The deployer's e2e tests run in the same step, under the same requirement.
    expect(test?.run?.trim().split(/\s+/)).toContain('test/deploy/pulumi-e2e.test.ts');
    const order = (pred: (s: Step) => boolean) => e2e.steps.findIndex(pred);
    expect(order((s) => s === install)).toBeLessThan(order((s) => s === test));
  });

  it('has the e2e job only: the policy jobs moved to policy-pr.yml, which runs only for policy changes', () => {
    expect(Object.keys(workflow.jobs)).toEqual(['e2e']);
  });
});
