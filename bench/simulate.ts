// Simulated runs: `shadowcast simulate` on the real hourly demand of both pedestrian sensors
// (forecasts/data/storefront.csv, Prophet's example data), with the default storefront policy
// and its cautious variant, demand held for each hour (step) or interpolated between hours
// (linear), beside reactive target tracking and static N+k on the same trace and fleet.

import { join } from 'node:path';
import { runSimulate, type SimulateFlags, simulationTable } from '../src/cli/simulate.js';
import type { Figures } from '../src/simulate/simulate.js';
import { progress, provenance, repoRoot, writeBenchmarkSection } from './common.js';

const SERIES = ['location_4', 'location_41'];
const POLICIES = [
  { name: 'default', dir: 'policies' },
  { name: 'cautious', dir: 'examples/policies-cautious' },
];

/**
 * `shadowcast simulate --demand forecasts/data/storefront.csv --series location_4 --pool storefront`
 * with its defaults, as flags, changed by `over`.
 */
export function storefrontFlags(over: Partial<SimulateFlags> = {}): SimulateFlags {
  return {
    demand: join(repoRoot(), 'forecasts', 'data', 'storefront.csv'),
    series: 'location_4',
    tz: 'UTC',
    pool: 'storefront',
    policy: join(repoRoot(), 'policies'),
    events: [],
    failureRate: 0,
    inject: [],
    history: '14d',
    resample: 'step',
    refit: '1h',
    seed: 1,
    staticExtra: 2,
    format: 'json',
    ...over,
  };
}

export async function benchSimulate(): Promise<{ markdown: string; json: unknown }> {
  const root = repoRoot();
  const rows: string[] = [];
  const json: unknown[] = [];
  for (const resample of ['step', 'linear'] as const) {
    for (const series of SERIES) {
      for (const p of POLICIES) {
        progress(`[simulate] ${series} ${p.name} ${resample}`);
        const flags = storefrontFlags({ series, policy: join(root, p.dir), resample });
        const t0 = performance.now();
        const { result } = await runSimulate(flags);
        const seconds = (performance.now() - t0) / 1000;
        const sc = result.shadowcast;
        const rx = result.baselines.reactive;
        const st = result.baselines.static;
        const sm = result.baselines.staticMatched;
        const vsReactive =
          sc.shortfallUnitMinutes <= 0.2 * rx.shortfallUnitMinutes && sc.nodeHours <= 1.15 * rx.nodeHours;
        const vsStatic = sc.nodeHours < st.nodeHours && sc.shortfallUnitMinutes <= st.shortfallUnitMinutes;
        const vsMatched = sc.nodeHours < sm.nodeHours && sc.shortfallUnitMinutes >= sm.shortfallUnitMinutes;
        rows.push(
          `| ${series} | ${p.name} | ${resample} | ${short(sc)} | ${short(rx)} | ${short(st)} | ${pct(sc.shortfallUnitMinutes, rx.shortfallUnitMinutes)} | ${sc.nodeHours.toFixed(0)} / ${rx.nodeHours.toFixed(0)} / ${st.nodeHours.toFixed(0)} | ${pct(sc.nodeHours, rx.nodeHours)} | ${pct(sc.nodeHours, st.nodeHours)} | ${sm.instances}: ${sm.nodeHours.toFixed(0)}, ${short(sm)} | ${pct(sc.nodeHours, sm.nodeHours)} | ${sc.migrations} / ${sc.rollbacks} | ${vsReactive ? 'yes' : 'no'} | ${vsStatic ? 'yes' : 'no'} | ${vsMatched ? 'yes' : 'no'} | ${seconds.toFixed(1)} |`,
        );
        json.push({ series, policy: p.name, resample, seconds, ...result, alerts: undefined });
      }
    }
  }
  await examples(root);
  const markdown = [
    '### Simulated runs (16 days of hourly demand after 14 days of history)',
    '',
    provenance(),
    '',
    'Shortfall: demand above ready capacity, unit-minutes (minutes with any). Node-hours: shadowcast / reactive / static N+k (k = 2). Static matched: the fewest instances held all the time that fall short no more than shadowcast did (instances: node-hours, shortfall).',
    '',
    '| series | policy | demand | shortfall shadowcast | reactive | static | shortfall vs reactive | node-hours | vs reactive | vs static | static matched | vs matched | migrations / rollbacks | ≤ 20 % shortfall at ≤ +15 % node-hours | fewer node-hours than N+k at ≤ its shortfall | fewer node-hours than static at equal shortfall | seconds |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: |',
    ...rows,
  ].join('\n');
  return { markdown, json };
}

function short(f: Figures): string {
  return `${f.shortfallUnitMinutes.toFixed(0)} (${f.shortfallMinutes})`;
}

function pct(a: number, b: number): string {
  if (b === 0) return a === 0 ? '—' : '∞';
  return `${((a / b) * 100).toFixed(1)} %`;
}

/** The two example runs docs/simulated-runs.md shows, as the command prints them. */
async function examples(root: string): Promise<void> {
  const file = join(root, 'docs', 'simulated-runs.md');
  const runs = [
    { name: 'simulate-example', inject: [] as string[] },
    {
      name: 'simulate-faults-example',
      inject: [
        'failed-step@+2d7h:2',
        'crash@+3d14h',
        'slow-provisioning@+5d/12h:3',
        'metrics-outage@+8d9h/2h',
      ],
    },
  ];
  for (const r of runs) {
    progress(`[simulate] example ${r.name}`);
    const { result, policy } = await runSimulate(storefrontFlags({ inject: r.inject, format: 'table' }));
    const command = [
      '$ shadowcast simulate --demand forecasts/data/storefront.csv --series location_4 --pool storefront',
      ...(r.inject.length ? [`    --inject ${r.inject.join(' ')}`] : []),
    ].join(' \\\n');
    const { timeline: _t, ...figures } = result;
    writeBenchmarkSection(r.name, ['```', command, simulationTable(figures, policy), '```'].join('\n'), file);
  }
}
