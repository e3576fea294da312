// The run report in a real browser: Debian's chromium, driven by playwright-core, opens a report
// of two pools served from a loopback HTTP server that logs every request. The first pool is the
// embedded default's storefront, run through the real stages (forecast, node risk, plan, its
// migration by the executor, a backtest for accuracy); the second is a synthetic checkout pool
// planned under its repository policy, whose migration fails a gate and rolls back. Checked: no
// console or page errors, nothing fetched but the page, every pool's chart, tables and timeline
// visible, and a full-page screenshot that shows the band and the forecast mean inside each chart.
// SHADOWCAST_UPDATE_SCREENSHOTS=1 writes that screenshot to docs/run-report.png for the README.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Series } from '../../src/core/series.js';
import { prefix } from '../../src/forecast/backtest.js';
import { createForecaster } from '../../src/forecast/index.js';
import { loadPolicyDir } from '../../src/policy/load.js';
import type { AccuracyReport, PoolReportInput, RunReportInput } from '../../src/report/run-report.js';
import { runReportHtml } from '../../src/report/run-report-html.js';
import { scorePoolNodes } from '../../src/pipeline/node-risk.js';
import { planFrom } from '../../src/pipeline/plan-pool.js';
import { forecastSpec, loadSpecs } from '../../src/pipeline/run.js';
import { CHROMIUM_ARGS, debianChromium } from '../support/chromium.js';
import { boxes, pixels, type RGB, type ServedPage, servePages, share } from '../support/report-page.js';
import { journalOf, poolInput, runOf } from './fixtures.js';

const SUITE = 'run report in Chromium';
const root = resolve(import.meta.dirname, '..', '..');
const executablePath = debianChromium(SUITE);

/** Colours of chart.ts: the band (#93c5fd at 45% opacity, over white) and the forecast mean's line. */
const BAND_ON_WHITE: RGB = [206, 229, 254];
const MEAN: RGB = [0x25, 0x63, 0xeb];
const HISTORY: RGB = [0x1f, 0x29, 0x37];
const PASSED: RGB = [0x16, 0xa3, 0x4a];
const FAILED: RGB = [0xdc, 0x26, 0x26];

describe.skipIf(!executablePath)(SUITE, () => {
  let dir: string;
  let input: RunReportInput;
  let served: ServedPage | undefined;
  let page: Page;
  let base: string;
  /** Paths the server was asked for, in order. */
  let hits: string[];
  const pages = new Map<string, string>();
  let requests: string[];
  let failedRequests: string[];
  let errors: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shadowcast-report-'));
    input = await realisticRun();
    pages.set('/report.html', await runReportHtml(input));
    pages.set('/hostile.html', await runReportHtml(await hostileRun()));
    writeFileSync(join(dir, 'report.html'), pages.get('/report.html')!);
    served = await servePages(pages, '/report.html', executablePath!, CHROMIUM_ARGS, 1100);
    ({ page, base, hits, requests, failedRequests, errors } = served);
  }, 180_000);

  afterAll(async () => {
    try {
      await served?.close();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads without console or page errors, and fetches nothing but the page itself', async () => {
    // Anything late (a lazy image, a font) would have started by the time the page is idle.
    await page.waitForLoadState('networkidle');
    expect(errors).toEqual([]);
    expect(failedRequests).toEqual([]);
    expect(requests).toEqual([`${base}/report.html`]);
    expect(hits).toEqual(['/report.html']);
    expect(await page.title()).toBe(`shadowcast run ${input.runId} — 2 pools, none failed`);
  });

  it.each(['storefront', 'checkout-api'])(
    '%s: the chart with its band and mean, the risk and steps tables and the timeline are visible',
    async (pool) => {
      const section = page.locator(`section.pool[data-pool="${pool}"]`);
      const chart = section.locator('figure.chart > svg');
      await expect.poll(() => chart.isVisible()).toBe(true);
      const box = (await chart.boundingBox())!;
      expect(box.width).toBeGreaterThan(600);
      expect(box.height).toBeGreaterThan(200);
      const band = chart.locator('.mark-area path');
      expect(await band.count()).toBe(1);
      expect((await band.getAttribute('d'))!.length).toBeGreaterThan(100);
      expect(await band.getAttribute('fill')).toBe('#93c5fd');
      const mean = chart.locator('.mark-line path[stroke="#2563eb"]');
      expect(await mean.count()).toBe(1);
      expect((await mean.getAttribute('d'))!.length).toBeGreaterThan(100);
      const want = input.pools.find((p) => p.pool === pool)!;
      for (const [what, n] of [
        ['table.risk', want.risk!.nodes.length],
        ['table.steps', want.plan!.steps.length],
      ] as const) {
        expect(await section.locator(what).isVisible(), what).toBe(true);
        expect(await section.locator(`${what} tbody tr`).count(), what).toBe(n);
      }
      // The journal's records are collapsed under the timeline; a reader opens them.
      const records = section.locator('table.records');
      expect(await records.isVisible()).toBe(false);
      expect(await records.locator('tbody tr').count()).toBe(want.migration!.records.length);
      const timeline = section.locator('figure.timeline > svg');
      expect(await timeline.isVisible()).toBe(true);
      expect((await timeline.boundingBox())!.height).toBeGreaterThan(100);
      expect(await timeline.locator('g.rec').count()).toBe(want.migration!.records.length);
    },
  );

  it('a full-page screenshot shows the band and the forecast mean inside each chart', async () => {
    const png = PNG.sync.read(await page.screenshot({ fullPage: true }));
    expect(png.width).toBe(1100);
    expect(share(png, { x: 0, y: 0, width: png.width, height: png.height }, [255, 255, 255], 8)).toBeLessThan(
      0.97,
    );
    const charts = await boxes(page, 'figure.chart > svg');
    expect(charts).toHaveLength(2);
    for (const box of charts) {
      // The band covers the forecast's stretch of the plot: a few percent of the whole chart at least.
      expect(share(png, box, BAND_ON_WHITE, 10)).toBeGreaterThan(0.02);
      expect(pixels(png, box, MEAN, 40)).toBeGreaterThan(150);
      expect(pixels(png, box, HISTORY, 40)).toBeGreaterThan(300);
    }
    const timelines = await boxes(page, 'figure.timeline > svg');
    expect(timelines).toHaveLength(2);
    for (const box of timelines) expect(pixels(png, box, PASSED, 30)).toBeGreaterThan(40);
    // Only the checkout pool's migration failed a gate.
    expect(pixels(png, timelines[0]!, FAILED, 30)).toBe(0);
    expect(pixels(png, timelines[1]!, FAILED, 30)).toBeGreaterThan(20);
    if (process.env.SHADOWCAST_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(join(root, 'docs'), { recursive: true });
      // The top of the page (header and the first pool) for the README; opaque RGB keeps it small.
      const top = PNG.sync.read(
        await page.screenshot({ clip: { x: 0, y: 0, width: png.width, height: Math.min(png.height, 1500) } }),
      );
      writeFileSync(join(root, 'docs', 'run-report.png'), PNG.sync.write(top, { colorType: 2 }));
    }
  });

  it('opening the journal shows its records; printing shows them without opening', async () => {
    const summary = page.locator('section.pool[data-pool="checkout-api"] details.records > summary');
    await summary.click();
    expect(await page.locator('section.pool[data-pool="checkout-api"] table.records').isVisible()).toBe(true);
    expect(await page.locator('section.pool[data-pool="storefront"] table.records').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'print' });
    try {
      for (const table of await page.locator('table.records').all())
        expect(await table.isVisible()).toBe(true);
      for (const chart of await page.locator('figure.chart > svg').all())
        expect(await chart.isVisible()).toBe(true);
    } finally {
      await page.emulateMedia({ media: null });
      await summary.click();
    }
  });

  it('markup in the data is shown as text: nothing runs, nothing is fetched', async () => {
    const hostile = await served!.browser.newPage();
    const pageErrors: string[] = [];
    hostile.on('pageerror', (e: Error) => pageErrors.push(e.message));
    try {
      await hostile.goto(`${base}/hostile.html`, { waitUntil: 'load' });
      await hostile.waitForLoadState('networkidle');
      expect(await hostile.locator('script').count()).toBe(0);
      expect(await hostile.locator('img').count()).toBe(0);
      expect(await hostile.evaluate('typeof window.pwned')).toBe('undefined');
      const text = await hostile.locator('section.pool ol.reasons').innerText();
      expect(text).toContain(`because ${PAYLOAD}`);
      expect(await hostile.locator('section.pool h2').first().innerText()).toContain(`pool ${PAYLOAD}`);
      expect(pageErrors).toEqual([]);
      expect(hits.filter((h) => h !== '/report.html' && h !== '/hostile.html')).toEqual([]);
    } finally {
      await hostile.close();
    }
  });
});

const PAYLOAD = '<script>window.pwned=1</script><img src="x" onerror="window.pwned=2">';

/** The storefront through the real stages, and the checkout pool planned under its real policy. */
async function realisticRun(): Promise<RunReportInput> {
  const set = await loadPolicyDir(join(root, 'policies'));
  const specs = await loadSpecs(join(root, 'forecasts'), ['storefront']);
  const t0 = performance.now();
  const policy = set.pools.get('storefront')!.policy;
  const spec = specs[0]!;
  const result = await forecastSpec(spec, policy);
  const nodes = await scorePoolNodes(spec.nodes!, policy);
  const { planned: once } = planFrom('storefront', policy, result, nodes);
  const storefront: PoolReportInput = {
    pool: 'storefront',
    status: 'ok',
    durationMs: Math.round(performance.now() - t0),
    forecast: { ...result, unit: 'requests/h' },
    risk: { nodes, standby: policy.standby },
    plan: { ...once.pool, at: once.plan.at, mode: policy.mode, intervalMs: once.intervalMs },
    migration: { records: await journalOf('storefront', once.pool.steps, once.pool.current) },
    accuracy: accuracyOf(result.series, result.forecast.timestamps.length, result.forecast.level),
  };
  const origin = result.forecast.timestamps[0]!;
  const checkout = await poolInput('checkout-api', {
    policy: set.pools.get('checkout-api')!.policy,
    peak: 1100,
    failGateAt: 6,
    failReason: 'latency_p99_ms 412 above max 300 (pool checkout-api)',
    origin,
  });
  const pools = [storefront, checkout];
  const startedAt = origin + 5_000;
  return runOf(pools, {
    runId: 'run-20230501T000005Z',
    startedAt,
    finishedAt: startedAt + pools.reduce((a, p) => a + p.durationMs, 0),
  });
}

/** MAPE and coverage of the model refitted without the last horizon of the history: a one-fold backtest. */
function accuracyOf(series: Series, horizon: number, level: number): AccuracyReport {
  const n = series.values.length - horizon;
  const f = createForecaster('mstl').fit(prefix(series, n), [], { level, horizon }).predict(horizon, level);
  let ape = 0;
  let counted = 0;
  let inside = 0;
  for (let i = 0; i < horizon; i++) {
    const actual = series.values[n + i]!;
    if (actual >= f.lower[i]! && actual <= f.upper[i]!) inside++;
    if (actual === 0) continue;
    ape += Math.abs(actual - f.mean[i]!) / Math.abs(actual);
    counted++;
  }
  return {
    window: `the last ${horizon} hours`,
    mape: ape / counted,
    coverage: inside / horizon,
    level,
    threshold: 0.3,
    points: horizon,
  };
}

/** Markup in every kind of text the report prints. */
async function hostileRun(): Promise<RunReportInput> {
  const p = await poolInput(`pool ${PAYLOAD}`, { failGateAt: 3, failReason: `gate ${PAYLOAD}` });
  p.plan!.reasons.push(`because ${PAYLOAD}`);
  p.plan!.steps[0]!.reason = `step ${PAYLOAD}`;
  p.risk!.nodes[0]!.id = `node ${PAYLOAD}`;
  p.forecast!.events[0]!.name = `event ${PAYLOAD}`;
  return {
    ...runOf([p, { pool: 'search', status: 'failed', error: `boom ${PAYLOAD}`, durationMs: 1 }]),
    runId: `run ${PAYLOAD}`,
    alerts: [{ at: 0, pool: PAYLOAD, kind: PAYLOAD, message: PAYLOAD }],
  };
}
