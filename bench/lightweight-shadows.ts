// Lightweight shadows: the storefront replay (`shadowcast simulate`, bench/simulate.ts) with its
// shadow pool on the primary's instance (c6i.xlarge, 250 units, 0.17 an hour) and on one half
// its size (c6i.large, 125 units, 0.085 an hour: AWS's on-demand prices in a ratio of two), with
// no warm minimum and with two shadow instances always warm. The planner sizes the shadow in its
// own units, the fleet pays each instance at its own price.

import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { runSimulate } from '../src/cli/simulate.js';
import type { Figures } from '../src/simulate/simulate.js';
import { progress, provenance, repoRoot } from './common.js';
import { storefrontFlags } from './simulate.js';

const SHADOWS = [
  { name: 'same size', instanceType: 'c6i.xlarge', unitsPerInstance: 250, hourlyCost: 0.17 },
  { name: 'lightweight', instanceType: 'c6i.large', unitsPerInstance: 125, hourlyCost: 0.085 },
];

/** A copy of the repository's policies with the storefront pool's shadow block changed. */
function policiesWith(shadow: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-bench-shadow-'));
  cpSync(join(repoRoot(), 'policies'), dir, { recursive: true });
  const file = join(dir, 'pools', 'storefront.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  for (const [key, value] of Object.entries(shadow)) doc.setIn(['shadow', key], value);
  writeFileSync(file, doc.toString());
  return dir;
}

export async function benchLightweightShadows(): Promise<{ markdown: string; json: unknown }> {
  const rows: string[] = [];
  const json: unknown[] = [];
  for (const series of ['location_4', 'location_41']) {
    for (const minSize of [0, 2]) {
      const figures: Figures[] = [];
      for (const s of SHADOWS) {
        progress(`[lightweight-shadows] ${series} warm ${minSize} ${s.name}`);
        const policy = policiesWith({
          instanceType: s.instanceType,
          unitsPerInstance: s.unitsPerInstance,
          hourlyCost: s.hourlyCost,
          minSize,
        });
        const { result } = await runSimulate(storefrontFlags({ series, policy }));
        const sc = result.shadowcast;
        figures.push(sc);
        json.push({ series, minSize, shadow: s, figures: { ...sc, alerts: undefined } });
        rows.push(
          `| ${series} | ${minSize} | ${s.name} (${s.instanceType}, ${s.unitsPerInstance} units, ${s.hourlyCost}/h) | ${sc.nodeHours.toFixed(0)} | ${sc.cost.toFixed(2)} | ${sc.shortfallUnitMinutes.toFixed(0)} (${sc.shortfallMinutes}) | ${sc.migrations} / ${sc.rollbacks} |`,
        );
      }
      const [same, light] = figures as [Figures, Figures];
      rows.push(
        `| ${series} | ${minSize} | lightweight vs same size | ${pct(light.nodeHours, same.nodeHours)} | ${pct(light.cost, same.cost)} | ${pct(light.shortfallUnitMinutes, same.shortfallUnitMinutes)} | |`,
      );
    }
  }
  const markdown = [
    '### Lightweight shadows (the storefront replay, 16 days after 14 days of history)',
    '',
    provenance(),
    '',
    'The same replay with the shadow pool on the primary’s instance and on one half its size; the primary is the same in both (c6i.xlarge, 250 units, at least 4). Warm: shadow instances kept even when the shadow takes no traffic. Node-hours and cost: primary, shadow and standby together. Shortfall: demand above ready capacity, unit-minutes (minutes with any).',
    '',
    '| series | warm | shadow instance | node-hours | cost | shortfall | migrations / rollbacks |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  return { markdown, json };
}

function pct(a: number, b: number): string {
  if (b === 0) return a === 0 ? '—' : '∞';
  return `${((a / b) * 100).toFixed(1)} %`;
}
