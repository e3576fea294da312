// The run report's HTML and markdown, from inputs made by the real planner and executor
// (fixtures.ts): every section per pool, what an empty or failed pool says, escaping of every
// piece of text from the data, the markdown's shape and size, and determinism.

import { beforeAll, describe, expect, it } from 'vitest';
import { renderForecastSvg } from '../../src/report/chart.js';
import type { PoolReportInput, RunReportInput } from '../../src/report/run-report.js';
import { runReportHtml } from '../../src/report/run-report-html.js';
import { runReportMarkdown } from '../../src/report/run-report-markdown.js';
import { migrationSummary, nodeLevel, runStatus } from '../../src/report/run-summary.js';
import { testPolicy } from '../plan/fixtures.js';
import { forecastOf, node, poolInput, runOf, T0 } from './fixtures.js';

const HOSTILE = '<script>alert("x")</script>';

let storefront: PoolReportInput;
let checkout: PoolReportInput;
let run: RunReportInput;
let html: string;

beforeAll(async () => {
  storefront = await poolInput('storefront');
  checkout = await poolInput('checkout-api', { failGateAt: 5, peak: 1400 });
  run = runOf([
    storefront,
    checkout,
    { pool: 'search', status: 'failed', error: 'forecasts/data/search.csv:12: no value', durationMs: 120 },
  ]);
  html = await runReportHtml(run);
});

/** The HTML of one pool's section. */
function section(page: string, pool: string): string {
  const at = page.indexOf(`" data-pool="${pool}"`);
  expect(at, `section of ${pool}`).toBeGreaterThan(-1);
  const start = page.lastIndexOf('<section class="pool"', at);
  const end = page.indexOf('<section class="pool"', start + 1);
  return page.slice(start, end < 0 ? page.indexOf('<section class="alerts"') : end);
}

/** The rows of a table's body, by its class. */
function rows(fragment: string, cls: string): string[] {
  const table = new RegExp(`<table class="${cls}">[\\s\\S]*?</table>`).exec(fragment)?.[0] ?? '';
  return table.match(/<tbody>[\s\S]*<\/tbody>/)?.[0].match(/<tr[ >]/g) ?? [];
}

describe('runReportHtml: structure', () => {
  it('is one self-contained document: no script, nothing loaded from anywhere', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    for (const bad of ['<script', ' src=', '@import', 'url(http', 'href="http', '<iframe']) {
      expect(html.includes(bad), bad).toBe(false);
    }
    // The one link: an empty icon, so a browser does not ask the server for /favicon.ico.
    expect(html.match(/<link [^>]*>/g)).toEqual(['<link rel="icon" href="data:,">']);
  });

  it('has a header with the run, its times, mode, target, pool statuses and alert count', () => {
    const header = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
    expect(header).toContain('<code>run-20260105T080000Z</code>');
    expect(header).toContain('1 of 3 pools failed');
    expect(header).toContain('2026-01-05 07:59:30 UTC');
    expect(header).toContain('simulated fleet');
    expect(header).toContain('<code>run --once</code>');
    expect(header).toContain('<span class="badge status-ok">2 ok</span>');
    expect(header).toContain('<span class="badge status-failed">1 failed</span>');
    // One alert: the rollback's, gathered from the journal by runOf.
    expect(run.alerts).toHaveLength(1);
    expect(header).toContain('<dt>Alerts</dt><dd><a href="#alerts">1</a></dd>');
    expect(rows(header, 'pools')).toHaveLength(3);
    expect(header).toMatch(/href="#pool-2">checkout-api<\/a>[\s\S]*?rolled back/);
  });

  it.each([
    ['storefront', 'completed', 5],
    ['checkout-api', 'rolled back', 5],
  ])('%s: chart, risk table, plan, steps, timeline and records', (pool, outcome, steps) => {
    const s = section(html, pool);
    const input = pool === 'storefront' ? storefront : checkout;
    // The chart: vega's band (area) and lines, inline.
    expect(s).toMatch(/<figure class="chart"><svg [^>]*viewBox="0 0 900 360"/);
    expect(s).toMatch(/class="mark-area[\s\S]*class="mark-line/);
    expect(s).toContain(`${pool} — auto:mstl, 80% interval`);
    expect(s).toContain('winter sale');
    expect(s).toContain('MAPE 8.2%, within the 20% threshold');
    expect(rows(s, 'risk')).toHaveLength(4);
    expect(s).toMatch(new RegExp(`<tr class="level-provision" data-node="${pool}-p-3">`));
    expect(s.match(/<tr class="level-ok"/g)).toHaveLength(3);
    expect(rows(s, 'states')).toHaveLength(2);
    expect(s.match(/<ol class="reasons">([\s\S]*?)<\/ol>/)![1]!.match(/<li>/g)).toHaveLength(
      input.plan!.reasons.length,
    );
    expect(rows(s, 'steps')).toHaveLength(steps);
    expect(s).toContain(`<strong>${outcome}</strong>`);
    const records = input.migration!.records;
    expect(s.match(/<g class="rec" /g)).toHaveLength(records.length);
    expect(rows(s, 'records')).toHaveLength(records.length);
  });

  it('says why the migration rolled back', () => {
    expect(section(html, 'checkout-api')).toContain(
      'Reason: step 5 (checkout-api#5:route) failed: health gate failed: error_rate 0.052 above max 0.02.',
    );
  });

  it('a failed pool shows its error, and every section it lacks says so', () => {
    const s = section(html, 'search');
    expect(s).toContain('data-status="failed"');
    expect(s).toContain(
      '<p class="error"><strong>Failed:</strong> forecasts/data/search.csv:12: no value</p>',
    );
    expect(s).toContain('No forecast for this pool in this run.');
    expect(s).toContain('No node risk for this pool');
    expect(s).toContain('No plan for this pool in this run.');
    expect(s).toContain('Nothing was applied to this pool in this run.');
    expect(s).not.toContain('<svg');
  });

  it('lists the alerts, and says so when there are none', async () => {
    const alerts = html.slice(html.indexOf('<section class="alerts"'));
    expect(alerts).toContain('<h2>Alerts (1)</h2>');
    expect(rows(alerts, 'alerts')).toHaveLength(1);
    expect(alerts).toContain('checkout-api: rolled back to the last known-good routing, capacity kept');
    const quiet = await runReportHtml(runOf([storefront]));
    expect(quiet).toContain('<h2>Alerts (0)</h2>');
    expect(quiet).toContain('No alerts in this run.');
  });

  it('a plan without steps, a simulated apply without a journal, and a skipped and a busy pool', async () => {
    const f = forecastOf('idle');
    const page = await runReportHtml(
      runOf([
        {
          pool: 'idle',
          status: 'ok',
          durationMs: 10,
          forecast: { ...f, model: 'naive' },
          risk: { nodes: [] },
          plan: { ...storefront.plan!, steps: [], reasons: [], placements: {}, alerts: ['over budget'] },
          migration: {
            records: [],
            summary: {
              applied: 2,
              rollbacks: 0,
              updates: 2,
              start: T0,
              end: T0 + 16 * 60_000 + 46_000,
              final: {
                primary: 4,
                shadow: 0,
                standby: { 'idle-p-3': 0 },
                weights: { primary: 1, shadow: 0 },
              },
            },
          },
        },
        { pool: 'batch', status: 'skipped', error: 'no policy for batch: forecast only', durationMs: 5 },
        { pool: 'video', status: 'busy', error: 'lock held by runner-2 (pid 4242)', durationMs: 1 },
      ]),
    );
    const idle = section(page, 'idle');
    expect(idle).toContain('No steps: the pool is already as it should be.');
    expect(idle).toContain('No reasons given.');
    expect(idle).toContain('<ul class="alerts"><li>over budget</li></ul>');
    expect(idle).toContain('No node risk for this pool');
    expect(idle).toContain(
      "Applied 2 steps, 0 rollbacks, 2 stack updates; 16 min 46 s on the executor's clock",
    );
    expect(idle).toContain('standby idle-p-3 (warm)');
    expect(idle).toContain('No journal records: no timeline.');
    expect(section(page, 'batch')).toContain('<strong>Skipped:</strong> no policy for batch: forecast only');
    expect(section(page, 'video')).toContain('<strong>Busy:</strong> lock held by runner-2 (pid 4242)');
    expect(page).toContain('3 pools, none failed');
  });

  it('flags drift, and a node above its move threshold', async () => {
    const p: PoolReportInput = {
      ...storefront,
      accuracy: { window: 'last 24 h', mape: 0.31, coverage: 0.55, threshold: 0.2 },
      risk: { nodes: [node('hot', 0.95), node('warm', 0.72)], standby: testPolicy().standby },
    };
    const s = section(await runReportHtml(runOf([p])), 'storefront');
    expect(s).toContain('MAPE 31%, <span class="drift">drifting: above the 20% threshold</span>');
    expect(s).toContain('<tr class="level-transition" data-node="hot">');
    expect(s).toContain('<tr class="level-provision" data-node="warm">');
  });

  it('a chart that cannot be drawn is said so; the rest of the report stands', async () => {
    const broken: PoolReportInput = {
      ...storefront,
      forecast: {
        ...storefront.forecast!,
        forecast: {
          timestamps: [],
          mean: new Float64Array(),
          lower: new Float64Array(),
          upper: new Float64Array(),
          level: 0.8,
        },
      },
    };
    const s = section(await runReportHtml(runOf([broken])), 'storefront');
    expect(s).toContain('The chart could not be drawn: chart: forecast is empty');
    expect(rows(s, 'steps')).toHaveLength(5);
  });

  it('two charts share one document: vega draws them without element ids that could collide', async () => {
    const svg = await renderForecastSvg({
      title: 't',
      history: storefront.forecast!.series,
      forecast: storefront.forecast!.forecast,
    });
    expect(svg).not.toMatch(/\sid="/);
    expect(html.match(/<svg /g)!.length).toBe(4); // two charts, two timelines
  });
});

describe('the standby lifecycle', () => {
  const standbys = [
    {
      node: 'web-p-3',
      zone: 'zone-b',
      provisionedAt: T0,
      syncedAt: T0 + 3_000_000,
      switchedAt: T0 + 3_600_000,
      retiredAt: T0 + 7_200_000,
      releasedAt: T0 + 7_500_000,
    },
    { node: 'web-p-5', provisionedAt: T0 + 3_600_000, switchRolledBackAt: T0 + 7_200_000 },
    { node: 'web-p-7', zone: 'zone-a', provisionedAt: T0 + 7_200_000, switchedAt: T0 + 7_260_000 },
  ];

  it('HTML: one row per standby with its zone, each time it reached, and where it is now', async () => {
    const page = await runReportHtml(runOf([{ ...storefront, standbys }]));
    const part = section(page, 'storefront');
    expect(rows(part, 'standbys')).toHaveLength(3);
    const row = (node: string) => new RegExp(`<tr data-node="${node}"[^]*?</tr>`).exec(part)![0];
    expect(row('web-p-3')).toContain('data-phase="released"');
    expect(row('web-p-3').match(/<td>[^<]*<\/td>/g)).toEqual([
      '<td>web-p-3</td>',
      '<td>zone-b</td>',
      '<td>2026-01-05 08:00</td>',
      '<td>2026-01-05 08:50</td>',
      '<td>2026-01-05 09:00</td>',
      '<td>2026-01-05 10:00</td>',
      '<td>2026-01-05 10:05</td>',
      '<td>released</td>',
    ]);
    expect(row('web-p-5')).toContain('rolled back 2026-01-05 10:00');
    expect(row('web-p-5')).toContain('<td>beside the node</td>');
    expect(row('web-p-7')).toContain('data-phase="serving"');
  });

  it('markdown: the same lifecycle in the pool’s details', () => {
    const text = runReportMarkdown(runOf([{ ...storefront, standbys }]));
    expect(text).toContain(
      '| standby for | zone | provisioned | synced | switched | retired | released | now |',
    );
    expect(text).toContain(
      '| web-p-3 | zone-b | 2026-01-05 08:00 | 2026-01-05 08:50 | 2026-01-05 09:00 | 2026-01-05 10:00 | 2026-01-05 10:05 | released |',
    );
    expect(text).toContain(
      '| web-p-7 | zone-a | 2026-01-05 10:00 | — | 2026-01-05 10:01 | — | — | serving |',
    );
  });
});

describe('runReportHtml and runReportMarkdown: escaping', () => {
  const hostile = async (): Promise<RunReportInput> => {
    const p = await poolInput(`pool ${HOSTILE}`, { failGateAt: 3, failReason: `gate ${HOSTILE}` });
    p.plan!.reasons.push(`because ${HOSTILE}`);
    p.plan!.steps[0]!.reason = `step ${HOSTILE}`;
    p.plan!.alerts.push(`alert ${HOSTILE}`);
    p.risk!.nodes[0]!.id = `node ${HOSTILE}`;
    p.risk!.nodes[0]!.blame = `metric ${HOSTILE}`;
    p.forecast!.events[0]!.name = `event ${HOSTILE}`;
    p.notes = [`note ${HOSTILE}`];
    return {
      ...runOf([
        p,
        { pool: `x" onmouseover="alert(1)`, status: 'failed', error: `boom ${HOSTILE}`, durationMs: 1 },
      ]),
      runId: `run ${HOSTILE}`,
      alerts: [{ at: T0, pool: HOSTILE, kind: `kind ${HOSTILE}`, message: `message ${HOSTILE}` }],
    };
  };

  it('HTML: every piece of text is rendered as text, never as markup', async () => {
    const page = await runReportHtml(await hostile());
    expect(page).not.toContain('<script');
    expect(page).not.toContain('" onmouseover="');
    // Reasons, steps, alerts, nodes, errors, notes, journal reasons in the table and the timeline's tooltips.
    for (const text of [
      'because',
      'step',
      'alert',
      'node',
      'metric',
      'boom',
      'note',
      'gate',
      'kind',
      'message',
    ]) {
      expect(page, text).toContain(`${text} &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;`);
    }
    expect(page).toContain('data-pool="x&quot; onmouseover=&quot;alert(1)"');
    // The chart escapes its own text (event names) the same way.
    expect(page).toContain('event &lt;script&gt;alert("x")&lt;/script&gt;');
  });

  it('markdown: no raw HTML, and a reason cannot break a table row', async () => {
    const input = await hostile();
    input.pools[0]!.plan!.steps[1]!.reason = 'a | b\nc';
    const text = runReportMarkdown(input);
    expect(text).not.toContain('<script');
    expect(text).toContain('because &lt;script&gt;alert("x")&lt;/script&gt;');
    expect(text).toContain('boom &lt;script&gt;');
    expect(text).toContain('| 2 | warm | 2026-01-05 08:11 | a \\| b c |');
    // <summary> is HTML: the pool name is entity-escaped there.
    expect(text).toContain('<b>pool &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</b>');
  });
});

describe('runReportMarkdown', () => {
  it('a heading, one table row per pool, the failure, details per planned pool, the alerts', () => {
    const text = runReportMarkdown(run, { reportUrl: 'https://ci.example/runs/42/report (1).html' });
    const lines = text.split('\n');
    expect(lines[0]).toBe('### ❌ shadowcast run run-20260105T080000Z: 1 of 3 pools failed');
    expect(lines[1]).toBe(
      'run --once · on the simulated fleet · 2026-01-05 07:59:30 → 07:59:34 UTC (4.8 s) · 1 alert · [full report](https://ci.example/runs/42/report%20%281%29.html)',
    );
    expect(lines[3]).toBe(
      '| pool | status | model | peak mean / upper | peak at (UTC) | nodes at risk | steps | migration | accuracy | took |',
    );
    expect(lines).toContain(
      '| storefront | ✅ ok | auto:mstl | 900 / 1350 | 2026-01-05 09:00 | 1 of 4 (max 0.780 storefront-p-3) | 5 | completed, 5 of 5 steps | MAPE 8.2% ≤ 20%, coverage 78% | 2.4 s |',
    );
    expect(lines).toContain(
      '| checkout-api | ✅ ok | auto:mstl | 1400 / 2100 | 2026-01-05 09:00 | 1 of 4 (max 0.780 checkout-api-p-3) | 5 | rolled back, 4 of 5 steps, 1 rollback | MAPE 8.2% ≤ 20%, coverage 78% | 2.4 s |',
    );
    expect(lines).toContain('| search | ❌ failed | — | — | — | — | — | — | — | 120 ms |');
    expect(lines).toContain('- ❌ **search** failed: forecasts/data/search.csv:12: no value');
    // The one alert is listed in the open, after the failure.
    expect(
      lines[lines.indexOf('- ❌ **search** failed: forecasts/data/search.csv:12: no value') + 1],
    ).toMatch(
      /^- ⚠️ 2026-01-05 08:20 \*\*checkout-api\*\* migration: checkout-api: rolled back to the last known-good routing, capacity kept/,
    );
    const summaries = lines.filter((l) => l.startsWith('<details><summary>'));
    expect(summaries).toEqual([
      '<details><summary><b>storefront</b>: primary 4 → 11, shadow 0 → 5, shadow weight 0 → 0.300, 1 standby; 5 steps, completed</summary>',
      '<details><summary><b>checkout-api</b>: primary 4 → 16, shadow 0 → 7, shadow weight 0 → 0.300, 1 standby; 5 steps, rolled back</summary>',
    ]);
    expect(
      lines.filter((l) => /^\| [1-9]\d* \| (provision|warm|shift|decommission) \|/.test(l)),
    ).toHaveLength(10);
    expect(lines.filter((l) => l === '</details>')).toHaveLength(2);
    expect(text.endsWith('</details>\n')).toBe(true);
  });

  it('every table row has as many cells as its header', () => {
    const text = runReportMarkdown(run);
    const tables = text.split(/\n\n/).filter((b) => b.startsWith('| '));
    expect(tables.length).toBe(3);
    for (const t of tables) {
      const cells = t.split('\n').map((l) => l.split(/(?<!\\)\|/).length);
      expect(new Set(cells).size, t).toBe(1);
    }
  });

  it('fits a pull-request comment: under 60 lines for three planned pools, about 20 for one', async () => {
    const three = runOf([storefront, checkout, await poolInput('search', { peak: 700 })]);
    expect(runReportMarkdown(three).split('\n').length).toBeLessThanOrEqual(60);
    const one = runReportMarkdown(runOf([storefront])).split('\n').length;
    expect(one).toBeLessThanOrEqual(25);
  });

  it('sums up steps and alerts past the limits', () => {
    const many = {
      ...run,
      alerts: Array.from({ length: 5 }, (_, i) => ({ at: T0 + i, kind: 'drift', message: `a${i}` })),
    };
    const text = runReportMarkdown(many, { maxSteps: 2, maxAlerts: 3 });
    expect(text).toContain('<details><summary>⚠️ 5 alerts</summary>');
    expect(text).toContain('| … | | | 3 more steps in the full report |');
    expect(text).toContain('- … 2 more in the full report');
    expect(text.match(/^- 2026-01-05 08:00 drift: a\d$/gm)).toHaveLength(3);
  });

  it('a quiet run of one pool: no failure list, no alerts block', () => {
    const text = runReportMarkdown(runOf([storefront]));
    expect(text.startsWith('### ✅ shadowcast run run-20260105T080000Z: 1 pool, none failed\n')).toBe(true);
    expect(text).toContain('· 0 alerts');
    expect(text).not.toContain('alerts</summary>');
    expect(text).not.toMatch(/^- (❌|⚠️)/m);
  });
});

describe('the numbers both renderings share', () => {
  it.each([
    [['ok', 'ok'], 'ok'],
    [['ok', 'failed'], 'partial'],
    [['failed', 'failed'], 'failed'],
    [['skipped', 'busy'], 'ok'],
  ] as const)('run status of %j is %s', (statuses, expected) => {
    const pools = statuses.map((status, i) => ({ pool: `p${i}`, status, durationMs: 1 }));
    expect(runStatus(runOf(pools))).toBe(expected);
  });

  it.each([
    ['normal', 0.69, 'ok'],
    ['normal', 0.7, 'provision'],
    ['normal', 0.9, 'transition'],
    ['high', 0.66, 'provision'],
    ['critical', 0.8, 'transition'],
    ['low', 0.72, 'ok'],
  ] as const)('a %s node at %s is %s under the built-in thresholds', (criticality, score, level) => {
    expect(nodeLevel(node('n', score, { criticality, state: 'ok' }), testPolicy().standby)).toBe(level);
  });

  it('without thresholds, a node is rated by its standby state', () => {
    expect(nodeLevel(node('n', 0.1, { state: 'provision' }))).toBe('provision');
  });

  it('the migration summary is what the journal reader makes of the records', () => {
    expect(migrationSummary(checkout.migration!)).toMatchObject({
      outcome: 'rolled back',
      stepsPassed: 4,
      steps: 5,
      rollbacks: 1,
      durationMs: 20 * 60_000 + 45_000,
    });
    expect(migrationSummary({ records: [] })).toBeUndefined();
    expect(migrationSummary({ ...storefront.migration!, outcome: 'paused' })?.outcome).toBe('paused');
  });
});

describe('determinism', () => {
  it('the same input gives the same HTML and markdown, and is left as it was', async () => {
    const before = structuredClone(run);
    expect(await runReportHtml(run)).toBe(html);
    expect(runReportMarkdown(run)).toBe(runReportMarkdown(run));
    expect(run).toEqual(before);
  });

  it('does not depend on the time zone of the process', async () => {
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'Pacific/Chatham';
      expect(await runReportHtml(run)).toBe(html);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});
