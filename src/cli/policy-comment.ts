// `shadowcast policy comment --base DIR --head DIR`: prints the markdown of the pull-request
// comment on a policy change (report/policy-comment.ts): the head's policies checked as `policy
// validate` checks them, then `policy diff` of base and head, through the same code as those two
// commands. Invalid head policies are what the comment is for: they are listed in it and the
// command still exits 0, having written the comment (`policy validate` is the check that fails);
// the diff then waits for them to validate. Bad input (a side that is neither a policy directory
// nor a git ref, a head without policy files, bad flags) exits 2 with one line and no comment.

import { UsageError } from '../core/errors.js';
import { SIM_HEALTH_METRICS } from '../deploy/sim/serve.js';
import { checkPolicies, type PolicyCheck } from '../policy/check.js';
import { type PolicyCommentInput, policyCommentMarkdown } from '../report/policy-comment.js';
import { diffMarkdown, loadSide, type PolicyDiffFlags, type PolicySide } from './policy-diff.js';

export interface PolicyCommentFlags extends PolicyDiffFlags {
  base: string;
  head: string;
  /** What the comment calls each side (default: --base, --head). */
  baseLabel?: string;
  headLabel?: string;
}

export async function policyCommentCommand(flags: PolicyCommentFlags): Promise<void> {
  const head = labelled(await loadSide(flags.head, flags.policies), flags.headLabel);
  if (head.set.files.length === 0)
    throw new UsageError(`--head ${flags.head}: no policy files (defaults.yaml, pools/<pool>.yaml)`);
  const base = labelled(await loadSide(flags.base, flags.policies), flags.baseLabel);
  const check = checkPolicies(head.set, SIM_HEALTH_METRICS);
  const diff = await diffOf(base, head, check, flags);
  process.stdout.write(policyCommentMarkdown({ headLabel: head.label, check, diff }));
}

function labelled(side: PolicySide, label: string | undefined): PolicySide {
  return label === undefined ? side : { ...side, label };
}

async function diffOf(
  base: PolicySide,
  head: PolicySide,
  check: PolicyCheck,
  flags: PolicyCommentFlags,
): Promise<PolicyCommentInput['diff']> {
  if (check.errors.length) return { missing: "the head's policies do not validate (above)." };
  if (base.set.errors.length) {
    const missing = "the base's policies do not validate with this version of shadowcast:";
    return { missing, complaints: base.set.errors };
  }
  return { markdown: await diffMarkdown(base, head, flags) };
}
