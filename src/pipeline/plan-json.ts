// The plan as STATE/plans/POOL/plan.json holds it (a contract: docs/cli.md, "run"), shared by
// `plan` and `run --once` (which adds its simulated apply). `apply` reads it back (plan-file.ts).

import type { Policy } from '../policy/types.js';
import type { NodeReport } from './node-risk.js';
import type { PlannedPool } from './plan-once.js';
import { iso } from '../core/time-format.js';

export function planDocument(
  pool: string,
  policy: Policy,
  planned: PlannedPool,
  nodes: readonly NodeReport[],
): Record<string, unknown> {
  const pp = planned.pool;
  return {
    pool,
    at: iso(planned.plan.at),
    mode: policy.mode,
    intervalMs: planned.intervalMs,
    current: pp.current,
    desired: pp.desired,
    reasons: pp.reasons,
    placements: pp.placements,
    alerts: pp.alerts,
    steps: pp.steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      subject: s.subject,
      notBefore: iso(s.notBefore),
      bakeMs: s.bakeMs,
      reason: s.reason,
      state: s.state,
    })),
    nodes: nodes.map((n) => ({
      id: n.id,
      score: Number(n.score.toFixed(4)),
      blame: n.blame ?? null,
      state: n.state,
      criticality: n.criticality,
      stateless: n.stateless,
      aboveTransitionMs: n.aboveTransitionMs,
      belowReleaseMs: n.belowReleaseMs,
      at: iso(n.at),
    })),
  };
}
