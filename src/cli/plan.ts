// `shadowcast plan`: the migration plan of each pool (forecast → risk → plan, as `run --once`
// plans), from the state the deploy target has now, written to STATE/plans/POOL/plan.json (and
// the forecast it came from to STATE/forecasts/POOL/), atomically. Changes nothing: `apply` does.
//
// --format json prints one JSON array of the plans, each as plan.json holds it plus "target" and
// "preview" (a string, or null where the target has none).

import { join, relative } from 'node:path';
import { DependencyError, UsageError } from '../core/errors.js';
import { describeState } from '../core/pool-state.js';
import { loadPolicyDir } from '../policy/load.js';
import { planFile } from '../pipeline/plan-file.js';
import { planPool } from '../pipeline/plan-pool.js';
import { loadSpecs } from '../pipeline/run.js';
import { writePoolForecastFiles } from './forecast.js';
import { planSteps } from './migration-report.js';
import { writeAtomically } from './output.js';
import { planDocument } from '../pipeline/plan-json.js';
import { type PulumiTargetFlags, type TargetName, targetFor } from '../deploy/targets.js';

export interface PlanFlags extends PulumiTargetFlags {
  pool?: string;
  target: TargetName;
  state: string;
  policies: string;
  specs: string;
  format: 'json' | 'table';
}

export async function planCommand(flags: PlanFlags): Promise<void> {
  const set = await loadPolicyDir(flags.policies);
  if (set.errors.length > 0) throw set.errors[0]!;
  const specs = (await loadSpecs(flags.specs, flags.pool ? [flags.pool] : undefined)).filter((s) =>
    set.pools.has(s.pool),
  );
  if (specs.length === 0) {
    throw new UsageError(
      flags.pool
        ? `--pool ${flags.pool}: needs a forecast spec in ${flags.specs} and a policy in ${flags.policies}/pools/${flags.pool}.yaml`
        : `no pool has both a forecast spec in ${flags.specs} and a policy in ${flags.policies}`,
    );
  }
  // Every target is opened before any forecast runs: one that cannot be used fails at once.
  const targets = specs.map((s) =>
    targetFor(flags.target, {
      stateDir: flags.state,
      pool: s.pool,
      policy: set.pools.get(s.pool)!.policy,
      pulumi: flags,
    }),
  );
  const tty = process.stderr.isTTY;
  const docs: Record<string, unknown>[] = [];
  const sections: string[] = [];
  for (const [i, spec] of specs.entries()) {
    const policy = set.pools.get(spec.pool)!.policy;
    if (tty) process.stderr.write(`\r[${i + 1}/${specs.length}] planning ${spec.pool}…\x1b[K`);
    const target = await targets[i]!(false);
    // In mode recommend nothing is applied, so a target that cannot be reached (no Pulumi CLI,
    // say) only costs the preview: the plan is then sized from the load observed.
    let unreachable: string | undefined;
    const tolerant = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
      if (unreachable !== undefined) return undefined;
      try {
        return await call();
      } catch (err) {
        if (policy.mode !== 'recommend' || !(err instanceof DependencyError)) throw err;
        unreachable = err.message;
        return undefined;
      }
    };
    const now = target
      ? await tolerant(async () => ({
          current: await target.deployer.current(spec.pool),
          now: target.clock.now(),
        }))
      : undefined;
    const { result, nodes, planned, from } = await planPool(spec, policy, now, flags.state);
    const pp = planned.pool;
    // The engine's own diff of the next update: the plan's first step.
    const next = pp.steps[0];
    const diff =
      target?.preview && next ? await tolerant(() => target.preview!(spec.pool, next.state)) : undefined;
    const preview =
      unreachable !== undefined
        ? `preview: not available (${unreachable})`
        : diff !== undefined
          ? `preview of step 1 (${next!.id}): ${diff}`
          : target?.preview && !next
            ? 'preview: no step, so no update'
            : undefined;
    const file = planFile(flags.state, spec.pool);
    const doc = planDocument(spec.pool, policy, planned, nodes);
    await writePoolForecastFiles(join(flags.state, 'forecasts', spec.pool), result, spec.pool);
    await writeAtomically([{ path: file, content: `${JSON.stringify(doc, null, 2)}\n` }]);
    docs.push({ ...doc, target: flags.target, preview: preview ?? null });
    const out = [
      `${spec.pool}: plan at ${new Date(planned.plan.at).toISOString().slice(0, 16).replace('T', ' ')} UTC for --target ${flags.target} (policy mode ${policy.mode})`,
      `  now:     ${describeState(pp.current)}${from === 'observed' ? ` (no ${flags.target} state yet: sized for the load observed)` : ''}`,
      `  desired: ${describeState(pp.desired)}`,
      '  reasons:',
      ...pp.reasons.map((r) => `    - ${r}`),
      ...pp.alerts.map((a) => `  alert: ${a}`),
      '',
      pp.steps.length ? planSteps(pp.steps) : '  steps: none (the pool is already as it should be)',
      '',
      preview ?? `preview: not available for --target ${flags.target}`,
      `plan: ${relative(process.cwd(), file)}`,
    ];
    sections.push(out.join('\n'));
  }
  if (tty) process.stderr.write('\r\x1b[K');
  if (flags.format === 'json') process.stdout.write(`${JSON.stringify(docs)}\n`);
  else process.stdout.write(`${sections.join('\n\n')}\n`);
}
