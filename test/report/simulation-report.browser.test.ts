// The simulation report in a real browser: Debian's chromium, driven by playwright-core, opens the
// report of a real replay (the storefront's demand, location_4, replayed through shadowcast and
// the baselines as `shadowcast simulate` does) served from a loopback HTTP server that logs every
// request. Checked: no console or page errors, nothing fetched but the page, every chart drawn at
// a real size, the figures table with every arm, the markers with their titles, and a screenshot
// that shows demand, shadowcast's capacity and the shortfall inside the main chart.
// SHADOWCAST_SCREENSHOT=1 writes the top of the page to docs/simulation-report.png.

import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storefrontFlags } from '../../bench/simulate.js';
import { runSimulate } from '../../src/cli/simulate.js';
import {
  bucketTimeline,
  markerGroups,
  simulationReportHtml,
  type SimulationReportInput,
} from '../../src/report/simulation-report.js';
import { ARMS } from '../../src/simulate/simulate.js';
import { CHROMIUM_ARGS, debianChromium } from '../support/chromium.js';
import { boxes, pixels, type RGB, type ServedPage, servePages } from '../support/report-page.js';

const SUITE = 'simulation report in Chromium';
const root = resolve(import.meta.dirname, '..', '..');
const executablePath = debianChromium(SUITE);

/** Colours of simulation-charts.ts: demand, shadowcast's ready capacity, the shortfall. */
const DEMAND: RGB = [0x11, 0x18, 0x27];
const SHADOWCAST: RGB = [0x25, 0x63, 0xeb];
const SHORT: RGB = [0xdc, 0x26, 0x26];

/** `shadowcast simulate --demand forecasts/data/storefront.csv --series location_4 --pool storefront`, with its timeline. */
const FLAGS = storefrontFlags({
  // Only asks for the timeline: runSimulate keeps it in the result; simulateCommand would write it here.
  timeline: join(tmpdir(), 'shadowcast-simulation-timeline.csv'),
});

describe.skipIf(!executablePath)(SUITE, () => {
  let input: SimulationReportInput;
  let html: string;
  let served: ServedPage | undefined;
  let page: Page;
  let base: string;
  let hits: string[];
  let requests: string[];
  let failedRequests: string[];
  let errors: string[];

  beforeAll(async () => {
    const { result, settings } = await runSimulate(FLAGS);
    const { timeline, ...figures } = result;
    if (!timeline) throw new Error('the replay kept no timeline');
    input = { result: figures, timeline, settings };
    const t0 = performance.now();
    html = await simulationReportHtml(input);
    const took = Math.round(performance.now() - t0);
    console.log(
      `${SUITE}: ${input.result.minutes} minutes rendered in ${took} ms, ${Buffer.byteLength(html)} bytes`,
    );
    served = await servePages(
      new Map([['/report.html', html]]),
      '/report.html',
      executablePath!,
      CHROMIUM_ARGS,
      1200,
    );
    ({ page, base, hits, requests, failedRequests, errors } = served);
  }, 180_000);

  afterAll(async () => {
    await served?.close();
  });

  it('loads without console or page errors, and fetches nothing but the page itself', async () => {
    await page.waitForLoadState('networkidle');
    expect(errors).toEqual([]);
    expect(failedRequests).toEqual([]);
    expect(requests).toEqual([`${base}/report.html`]);
    expect(hits).toEqual(['/report.html']);
    expect(await page.title()).toBe('shadowcast simulate: storefront');
    expect(await page.locator('script').count()).toBe(0);
  });

  it('shows every arm’s figures and the replayed span', async () => {
    const rows = page.locator('table.figures tbody tr');
    expect(await rows.count()).toBe(ARMS.length);
    for (const a of ARMS)
      expect(await page.locator(`table.figures tr[data-arm="${a}"]`).isVisible()).toBe(true);
    const header = await page.locator('header.simulation').innerText();
    expect(header).toContain(`${input.result.minutes}`);
    expect(header).toContain('2023-04-15 00:00 to 2023-05-01 00:00 UTC');
  });

  it.each([
    ['capacity', 250],
    ['shortfall', 80],
    ['paid', 150],
    ['shadow-weight', 40],
  ])('the %s chart is drawn at a real size', async (cls, minHeight) => {
    const svg = page.locator(`figure.sim-chart.${cls} > svg`);
    expect(await svg.isVisible()).toBe(true);
    const box = (await svg.boundingBox())!;
    expect(box.width).toBeGreaterThan(800);
    expect(box.height).toBeGreaterThan(minHeight);
    expect(await svg.locator('.mark-line path, .mark-area path, .mark-rect path').count()).toBeGreaterThan(0);
  });

  it('marks the replay’s migrations and rollbacks, each with its label as a title', async () => {
    const markers = input.timeline.markers ?? [];
    const groups = markerGroups(bucketTimeline(input.timeline), markers);
    const svg = page.locator('figure.sim-chart.capacity > svg');
    const titled = await svg.locator('.migrations_marks path > title, .rollbacks_marks path > title').count();
    expect(titled).toBe(groups.length);
    if (markers.length > 0) {
      // The replay's first migration's label is on the chart, in a title a reader sees on hover.
      const first = markers.find((m) => m.kind === 'migration') ?? markers[0]!;
      const titles = await svg.locator('title').allTextContents();
      expect(titles.some((t) => t.includes(first.label))).toBe(true);
    }
  });

  it('a screenshot shows demand, shadowcast’s capacity and its shortfall inside the main chart', async () => {
    const png = PNG.sync.read(await page.screenshot({ fullPage: true }));
    expect(png.width).toBe(1200);
    const [capacity] = await boxes(page, 'figure.sim-chart.capacity > svg');
    expect(pixels(png, capacity!, DEMAND, 30)).toBeGreaterThan(500);
    expect(pixels(png, capacity!, SHADOWCAST, 40)).toBeGreaterThan(500);
    if (input.result.shadowcast.shortfallUnitMinutes > 0) {
      // The shortfall's cells are drawn translucent over white, with an outline of the full red.
      expect(pixels(png, capacity!, SHORT, 60)).toBeGreaterThan(10);
    }
    const [strip] = await boxes(page, 'figure.sim-chart.shortfall > svg');
    expect(pixels(png, strip!, SHORT, 80)).toBeGreaterThan(50);
    if (process.env.SHADOWCAST_SCREENSHOT === '1') {
      mkdirSync(join(root, 'docs'), { recursive: true });
      // The top of the page, header and the four charts, for the docs; opaque RGB keeps it small.
      const [weight] = await boxes(page, 'figure.sim-chart.shadow-weight');
      const height = Math.min(png.height, Math.ceil(weight!.y + weight!.height + 16));
      const top = PNG.sync.read(
        await page.screenshot({ fullPage: true, clip: { x: 0, y: 0, width: 1200, height } }),
      );
      writeFileSync(join(root, 'docs', 'simulation-report.png'), PNG.sync.write(top, { colorType: 2 }));
    }
  });
});
