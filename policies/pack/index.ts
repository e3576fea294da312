// shadowcast's guardrails as a Pulumi CrossGuard policy pack: every preview and update of the
// stack is checked against the same policy YAML the planner reads (policies/defaults.yaml,
// policies/pools/<pool>.yaml), with mandatory enforcement.
//
//   pulumi preview --policy-pack policies/pack
//
// The CLI loads the pack through index.cjs (see there); this module reads the policies and serves.
// SHADOWCAST_POLICY_DIR points the pack at another policy directory (a proposed change, a test).

import { fileURLToPath } from 'node:url';
import { PolicyPack } from '@pulumi/policy';
import { loadGuardrails } from './guardrails.js';
import { guardrailPolicies, PACK_NAME } from './policies.js';

const dir = process.env.SHADOWCAST_POLICY_DIR || fileURLToPath(new URL('..', import.meta.url));

new PolicyPack(PACK_NAME, {
  description: "shadowcast's guardrails: the planner's policies enforced on every preview and update.",
  enforcementLevel: 'mandatory',
  policies: guardrailPolicies(await loadGuardrails(dir)),
});
