// `shadowcast policy diff BASE HEAD`: markdown for a pull-request comment on a policy change.
// BASE and HEAD are two policy directories, or two git refs (the policies directory is read from
// each with `git show`, so a CI job can run `policy diff origin/main HEAD`). Pools with a forecast
// spec are forecast once per distinct forecast setting, to say what the change does in numbers.
// `policy comment` reads its sides and writes its diff through loadSide and diffMarkdown.

import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../core/errors.js';
import { loadPolicyDir } from '../policy/load.js';
import { type PolicySet, type PoolText, resolvePolicies } from '../policy/resolve.js';
import type { Policy } from '../policy/types.js';
import { type PoolForecast, policyDiffMarkdown } from '../report/policy-diff.js';
import { forecastSpec, loadSpecs } from '../pipeline/run.js';

const run = promisify(execFile);

export interface PolicyDiffFlags {
  policies: string;
  specs: string;
  forecast: boolean;
}

/** One side of a comparison: what the markdown calls it, and its policies. */
export interface PolicySide {
  label: string;
  set: PolicySet;
}

export async function policyDiffCommand(base: string, head: string, flags: PolicyDiffFlags): Promise<void> {
  const a = valid(await loadSide(base, flags.policies));
  const b = valid(await loadSide(head, flags.policies));
  process.stdout.write(await diffMarkdown(a, b, flags));
}

/** The diff of two valid sides, with the sizes on the current forecast unless `forecast` is false. */
export async function diffMarkdown(
  a: PolicySide,
  b: PolicySide,
  flags: Pick<PolicyDiffFlags, 'specs' | 'forecast'>,
): Promise<string> {
  const forecasts = flags.forecast ? await forecastsFor(a.set, b.set, flags.specs) : new Map();
  return policyDiffMarkdown({ baseLabel: a.label, headLabel: b.label, base: a.set, head: b.set, forecasts });
}

/** Each pool on both sides that has a spec, forecast once per distinct forecast setting. */
async function forecastsFor(
  base: PolicySet,
  head: PolicySet,
  specsDir: string,
): Promise<Map<string, { base?: PoolForecast; head?: PoolForecast }>> {
  const forecasts = new Map<string, { base?: PoolForecast; head?: PoolForecast }>();
  const specs = new Map((await loadSpecs(specsDir).catch(() => [])).map((s) => [s.pool, s]));
  const cache = new Map<string, Promise<PoolForecast>>();
  const forecastFor = (pool: string, policy: Policy): Promise<PoolForecast> | undefined => {
    const spec = specs.get(pool);
    if (!spec) return undefined;
    const f = policy.forecast;
    const key = `${pool}|${f.model}|${f.level}|${f.horizonMs}`;
    if (!cache.has(key)) {
      cache.set(
        key,
        forecastSpec(spec, policy).then((r) => ({
          forecast: r.forecast,
          model: r.model,
          observed: r.series.values[r.series.values.length - 1]!,
        })),
      );
    }
    return cache.get(key);
  };
  for (const [pool, resolved] of head.pools) {
    const old = base.pools.get(pool);
    if (!old) continue;
    const [x, y] = await Promise.all([forecastFor(pool, old.policy), forecastFor(pool, resolved.policy)]);
    if (x && y) forecasts.set(pool, { base: x, head: y });
  }
  return forecasts;
}

/** A policy directory, or the policies directory as a git ref has it, complaints and all. */
export async function loadSide(arg: string, policiesDir: string): Promise<PolicySide> {
  const isDir = await stat(arg).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const set = isDir ? await loadPolicyDir(arg) : await fromGit(arg, policiesDir);
  return { label: arg, set };
}

/** Invalid policies stop a diff here, with their first complaint (file:line:col). */
function valid(side: PolicySide): PolicySide {
  if (side.set.errors.length > 0) throw side.set.errors[0]!;
  return side;
}

async function fromGit(ref: string, dir: string): Promise<PolicySet> {
  const git = async (...args: string[]) => (await run('git', args, { maxBuffer: 16 << 20 })).stdout;
  let names: string[];
  try {
    names = (await git('ls-tree', '-r', '--name-only', ref, '--', dir)).split('\n').filter(Boolean);
  } catch {
    throw new UsageError(`"${ref}" is neither a policy directory nor a git ref of this repository`);
  }
  const defaultsFile = join(dir, 'defaults.yaml');
  const pools: PoolText[] = [];
  let defaults: { file: string; text: string } | undefined;
  for (const file of names) {
    if (file === defaultsFile)
      defaults = { file: `${ref}:${file}`, text: await git('show', `${ref}:${file}`) };
    else if (file.startsWith(join(dir, 'pools') + '/') && file.endsWith('.yaml')) {
      pools.push({
        pool: basename(file, '.yaml'),
        file: `${ref}:${file}`,
        text: await git('show', `${ref}:${file}`),
      });
    }
  }
  if (!defaults && pools.length === 0)
    throw new UsageError(`git ref "${ref}" has no policy files under ${dir}/`);
  return resolvePolicies({ defaults, pools });
}
