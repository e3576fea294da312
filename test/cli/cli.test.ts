// The command line as users and bots see it: the built CLI run as a child process.
// `npm test` builds first, so dist/ is current.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const storefront = join(root, 'forecasts', 'data', 'storefront.csv');
const calendar = join(root, 'forecasts', 'calendars', 'storefront.yaml');
const deploys = join(root, 'forecasts', 'calendars', 'deploys.ics');

function run(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'shadowcast-cli-'));
}

describe('forecast --format json', () => {
  const out = tmp();
  const r = run([
    'forecast',
    '--input',
    storefront,
    '--series',
    'location_4',
    '--horizon',
    '48h',
    '--events',
    calendar,
    deploys,
    '--format',
    'json',
    '--out',
    out,
  ]);

  it('prints exactly one JSON object whose first fields are timestamps, mean, lower, upper of length H', () => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]!);
    expect(Object.keys(json).slice(0, 4)).toEqual(['timestamps', 'mean', 'lower', 'upper']);
    for (const k of ['timestamps', 'mean', 'lower', 'upper']) expect(json[k]).toHaveLength(48);
    expect(json.timestamps[0]).toBe('2023-05-01T00:00:00.000Z');
    json.mean.forEach((m: number, i: number) => {
      expect(json.lower[i]).toBeLessThanOrEqual(m);
      expect(m).toBeLessThanOrEqual(json.upper[i]);
      expect(json.lower[i]).toBeGreaterThanOrEqual(0);
    });
    expect(json.model).toMatch(/^auto:/);
    expect(json.events).toBeGreaterThan(0);
    expect(json.backtest.scores.naive.mase).toBeGreaterThan(0);
  });

  it('writes the same JSON and an SVG chart to --out, and nothing else', () => {
    expect(readdirSync(out).sort()).toEqual(['forecast.json', 'forecast.svg']);
    expect(JSON.parse(readFileSync(join(out, 'forecast.json'), 'utf8'))).toEqual(JSON.parse(r.stdout));
    const svg = readFileSync(join(out, 'forecast.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('80% interval');
    expect(svg).toContain('May Day street market');
  });
});

describe('bad input: exit 2, one line naming file:line, no output written', () => {
  const dir = tmp();
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const goodCsv = write('good.csv', readFileSync(storefront, 'utf8'));
  const withCalendar = (file: string) => ['--input', goodCsv, '--series', 'location_4', '--events', file];
  const cases = [
    {
      name: 'CSV with a non-numeric value',
      args: ['--input', write('bad.csv', 'ds,y\n2026-01-01 00:00:00,1\n2026-01-01 01:00:00,x\n')],
      where: `${join(dir, 'bad.csv')}:3:`,
    },
    {
      name: 'CSV out of order',
      args: ['--input', write('unsorted.csv', 'ds,y\n2026-01-01 01:00:00,1\n2026-01-01 00:00:00,2\n')],
      where: `${join(dir, 'unsorted.csv')}:3:`,
    },
    {
      name: 'ICS with a broken date',
      args: withCalendar(
        write(
          'bad.ics',
          'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:x\r\nDTSTART:20261301T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
        ),
      ),
      where: `${join(dir, 'bad.ics')}:6:`,
    },
    {
      name: 'YAML calendar with an unknown kind',
      args: withCalendar(
        write('bad.yaml', 'events:\n  - name: launch\n    kind: party\n    start: 2023-05-01\n'),
      ),
      where: `${join(dir, 'bad.yaml')}:3:`,
    },
    {
      name: 'YAML calendar that is not YAML',
      args: withCalendar(write('broken.yaml', 'events:\n  - name: [unclosed\n')),
      where: `${join(dir, 'broken.yaml')}:3:`,
    },
  ];

  it.each(cases)('$name', ({ args, where }) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const r = run(['forecast', '--horizon', '24', '--format', 'json', '--out', out, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`shadowcast: ${where} `)).toBe(true);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    { name: 'missing --horizon', args: ['forecast', '--input', goodCsv] },
    { name: 'bad --level', args: ['forecast', '--input', goodCsv, '--horizon', '4', '--level', '80'] },
    { name: 'bad --horizon', args: ['forecast', '--input', goodCsv, '--horizon', 'soon'] },
    { name: 'unknown model', args: ['forecast', '--input', goodCsv, '--horizon', '4', '--model', 'oracle'] },
    { name: 'missing file', args: ['forecast', '--input', join(dir, 'nope.csv'), '--horizon', '4'] },
    {
      name: 'too few points for the seasonality',
      args: [
        'forecast',
        '--input',
        write('short.csv', 'ds,y\n2026-01-01 00:00:00,1\n2026-01-01 01:00:00,2\n2026-01-01 02:00:00,3\n'),
        '--horizon',
        '4',
        '--model',
        'prophet',
      ],
    },
  ])('usage: $name exits 2', ({ args }) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().length).toBeGreaterThan(0);
  });
});

describe('backtest --format json', () => {
  it('scores every model with MASE, sMAPE, coverage and width', () => {
    const r = run([
      'backtest',
      '--input',
      storefront,
      '--series',
      'location_41',
      '--horizon',
      '24',
      '--folds',
      '2',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json.models)).toEqual(['auto', 'prophet', 'mstl', 'naive']);
    for (const m of Object.values(json.models) as Record<string, number>[]) {
      expect(m.mase).toBeGreaterThan(0);
      expect(m.coverage).toBeGreaterThanOrEqual(0);
      expect(m.coverage).toBeLessThanOrEqual(1);
    }
  });
});

describe('run --once (npm start)', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const prefix = 'node dist/src/cli/main.js ';
  // A fresh clone's working directory: the example pool's specs and data, and its policies.
  const cwd = tmp();
  cpSync(join(root, 'forecasts'), join(cwd, 'forecasts'), { recursive: true });
  cpSync(join(root, 'policies'), join(cwd, 'policies'), { recursive: true });
  const start = run(pkg.scripts.start!.slice(prefix.length).split(' '), cwd);
  const plan = () =>
    JSON.parse(readFileSync(join(cwd, '.shadowcast', 'plans', 'storefront', 'plan.json'), 'utf8'));

  it('is what `npm start` runs, and on the embedded default it prints the summary and writes the chart', () => {
    expect(pkg.scripts.start?.startsWith(prefix)).toBe(true);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    // The pool has a policy: it forecasts with the policy's model (mstl), not the spec's (auto).
    expect(start.stdout).toMatch(/storefront\s+mstl\s+720\s+48\s/);
    const svg = readFileSync(join(cwd, '.shadowcast', 'forecasts', 'storefront', 'forecast.svg'), 'utf8');
    expect(svg).toContain('storefront (location_4)');
  });

  it('scores every node and provisions a standby for the degraded one only', () => {
    const risk = start.stdout.slice(start.stdout.indexOf('storefront: node risk'));
    expect(risk).toMatch(/node\s+score\s+blame metric\s+standby/);
    expect(risk).toMatch(/storefront-p-3\s+0\.\d+\s+dim_18\s+provision/);
    for (const n of ['storefront-p-1', 'storefront-p-2', 'storefront-p-4']) {
      expect(risk).toMatch(new RegExp(`${n}\\s+0\\.\\d+\\s+dim_\\d+\\s+ok`));
    }
    expect(start.stdout).toContain('standby for storefront-p-3: failure probability');
  });

  it('prints the plan: desired state, reasons, then numbered steps with kind, time and reason', () => {
    const out = start.stdout;
    expect(out).toMatch(/storefront: plan at 2023-05-01 00:00 UTC/);
    expect(out).toMatch(/desired: primary \d+, shadow \d+, standby storefront-p-3 \(warm\); weights primary/);
    expect(out).toMatch(/#\s+kind\s+not before \(UTC\)\s+reason/);
    expect(out).toMatch(/1\s+provision\s+2023-05-01 00:00\s+provision .*standby for storefront-p-3/);
    expect(out).toMatch(/2\s+warm\s+/);
  });

  it('keeps the standby’s lifecycle in the state directory, and shows it in the run report', () => {
    const ledger = JSON.parse(readFileSync(join(cwd, '.shadowcast', 'standbys', 'storefront.json'), 'utf8'));
    expect(ledger.standbys).toHaveLength(1);
    expect(ledger.standbys[0].node).toBe('storefront-p-3');
    // Provisioned by the plan's first step, on the simulated clock.
    expect(new Date(ledger.standbys[0].provisionedAt).toISOString()).toMatch(/^2023-05-01T00:0\d/);
    const html = readFileSync(join(cwd, '.shadowcast', 'reports', 'latest.html'), 'utf8');
    expect(html).toMatch(
      /<tr data-node="storefront-p-3" data-phase="warm"><td>storefront-p-3<\/td><td>beside the node<\/td><td>2023-05-01 00:0\d<\/td>/,
    );
  });

  it('applies the plan to the simulated fleet only, and says so', () => {
    const json = plan();
    const steps = json.steps.length;
    expect(start.stdout).toContain(`simulated apply: ${steps} of ${steps} steps applied, 0 rollbacks`);
    expect(start.stdout).toMatch(/min \d\d s on the simulated clock \(2023-05-01 00:00 to/);
    expect(start.stdout).toContain('simulated apply; policy mode recommend: nothing real changed');
  });

  it('writes the plan as JSON under the state directory, and nothing half-written beside it', () => {
    const json = plan();
    expect(json).toMatchObject({ pool: 'storefront', at: '2023-05-01T00:00:00.000Z', mode: 'recommend' });
    expect(json.desired.standby).toEqual({ 'storefront-p-3': 0 });
    expect(json.steps[0]).toMatchObject({ id: 'storefront#1:provision', kind: 'provision' });
    expect(json.nodes.map((n: { id: string }) => n.id)).toEqual([
      'storefront-p-1',
      'storefront-p-2',
      'storefront-p-3',
      'storefront-p-4',
    ]);
    expect(json.simulatedApply).toMatchObject({ applied: json.steps.length, rollbacks: 0 });
    expect(json.simulatedApply.final).toEqual(json.desired);
    expect(readdirSync(join(cwd, '.shadowcast', 'plans', 'storefront'))).toEqual(['plan.json']);
  });

  it('forecasts every pool of the specs and writes JSON and chart under the state directory', () => {
    const state = tmp();
    const r = run(['run', '--once', '--specs', join(root, 'forecasts'), '--state', state]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('storefront');
    expect(readdirSync(join(state, 'forecasts', 'storefront')).sort()).toEqual([
      'accuracy.json',
      'forecast.json',
      'forecast.svg',
    ]);
  });

  it('exits 1 when the simulated apply rolls back, with the alert', () => {
    const policies = tmp();
    cpSync(join(root, 'policies'), policies, { recursive: true });
    // A gate on a metric the simulated fleet does not record: every baked step fails closed and is
    // rolled back (a threshold the pool broke before the step as well would not fail it). With a
    // minimum of one instance the night's need no longer fits the primary's minimum, so the plan
    // shifts traffic.
    const own = readFileSync(join(root, 'policies', 'pools', 'storefront.yaml'), 'utf8');
    expect(own).toMatch(/minInstances: 4\b/);
    writeFileSync(
      join(policies, 'pools', 'storefront.yaml'),
      `${own.replace(/minInstances: 4\b/, 'minInstances: 1')}\nmigration:\n  gates:\n    - { metric: queue_depth, max: 10 }\n`,
    );
    const r = run(['run', '--once', '--state', tmp(), '--policies', policies]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/simulated apply: \d+ of \d+ steps applied, 1 rollback,/);
    expect(r.stdout).toMatch(
      /alert: storefront: rolled back to the last known-good routing, capacity kept .*: health gate failed: metric queue_depth is not recorded for pool storefront/,
    );
    expect(r.stderr).toContain('rolled back');
  });

  it('reports a bad policy with its file and line and exits 2', () => {
    const policies = tmp();
    cpSync(join(root, 'policies'), policies, { recursive: true });
    writeFileSync(join(policies, 'pools', 'storefront.yaml'), 'capacity:\n  minInstances: -3\n');
    const r = run(['run', '--once', '--state', tmp(), '--policies', policies]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(policies, 'pools', 'storefront.yaml')}:2`);
  });

  it('reports a bad nodes: block in a spec with its file and line and exits 2', () => {
    const specs = tmp();
    cpSync(join(root, 'forecasts'), specs, { recursive: true });
    writeFileSync(
      join(specs, 'storefront.yaml'),
      readFileSync(join(root, 'forecasts', 'storefront.yaml'), 'utf8').replace(
        'criticality: normal',
        'criticality: urgent',
      ),
    );
    const r = run(['run', '--once', '--specs', specs, '--state', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`storefront\\.yaml:\\d+: nodes\\.criticality:`));
  });

  it('reports a bad spec with its file and line and exits 2', () => {
    const specs = tmp();
    writeFileSync(
      join(specs, 'pool.yaml'),
      'pool: web\nsource:\n  kind: csv\n  file: x.csv\nhorizon: 24\nlevel: 3\n',
    );
    const r = run(['run', '--once', '--specs', specs, '--state', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(specs, 'pool.yaml')}:6: level:`);
  });
});
