// The simulation report on synthetic replays (16 and 200 days of minutes): what the page says,
// that markup in the data stays text, that downsampling keeps every unit-minute short and every
// peak, that markers carry their labels, and that a 200-day replay renders fast and small.

import { describe, expect, it } from 'vitest';
import { esc } from '../../src/report/format.js';
import { ARMS, type Arm, type SimulationResult } from '../../src/simulate/simulate.js';
import { ARM_NAMES } from '../../src/report/simulation-charts.js';
import {
  bucketMinutesFor,
  cellBuckets,
  bucketTimeline,
  MAX_BUCKETS,
  markerGroups,
  simulationReportHtml,
  type SimulationReportInput,
  type SimTimeline,
  type TimelineMarker,
} from '../../src/report/simulation-report.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const T0 = Date.UTC(2023, 3, 15);
const HOSTILE = '<script>window.pwned=1</script><img src="x" onerror="window.pwned=2">';

/**
 * `days` of per-minute demand on a daily cycle with hourly steps; the arms' ready capacity:
 * shadowcast ahead of it but short a few minutes after some hourly jumps, reactive behind it after
 * every rise, static and matched flat. Shortfall is demand above ready, as the replay records it.
 */
function timeline(days: number, markers: TimelineMarker[] = []): SimTimeline {
  const n = days * 1440;
  const demand = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const hour = Math.floor(k / 60);
    demand[k] = 600 + 400 * Math.sin((2 * Math.PI * hour) / 24) + ((hour * 37) % 11) * 8;
  }
  const arm = (ready: (k: number) => number, paid: (k: number) => number, weight = (_k: number) => 0) => {
    const r = {
      ready: new Float64Array(n),
      paid: new Float64Array(n),
      shortfall: new Float64Array(n),
      shadowWeight: new Float64Array(n),
    };
    for (let k = 0; k < n; k++) {
      r.ready[k] = ready(k);
      r.paid[k] = paid(k);
      r.shortfall[k] = Math.max(0, demand[k]! - r.ready[k]!);
      r.shadowWeight[k] = weight(k);
    }
    return r;
  };
  const unit = 60;
  const arms: SimTimeline['arms'] = {
    // Sized on the coming hour with 30% headroom; every 53rd hour it starts 4 minutes late.
    shadowcast: arm(
      (k) => {
        const hour = Math.floor(k / 60);
        const late = hour % 53 === 7 && k % 60 < 4;
        return Math.ceil((demand[late ? k - 60 : k]! * (late ? 1 : 1.3)) / unit) * unit;
      },
      (k) => Math.ceil((demand[k]! * 1.3) / unit),
      (k) => (Math.floor(k / 60) % 24 === 12 ? 0.25 : 0),
    ),
    // Last minute's demand, seen 5 minutes late.
    reactive: arm(
      (k) => Math.ceil((demand[Math.max(0, k - 5)]! * 1.05) / unit) * unit,
      (k) => Math.ceil((demand[Math.max(0, k - 5)]! * 1.05) / unit),
    ),
    static: arm(
      () => 28 * unit,
      () => 28,
    ),
    staticMatched: arm(
      () => 17 * unit,
      () => 17,
    ),
  };
  return { start: T0, demand, arms, markers };
}

function figures(t: SimTimeline, arm: Arm) {
  const r = t.arms[arm];
  let short = 0;
  let minutes = 0;
  let paid = 0;
  for (let k = 0; k < t.demand.length; k++) {
    short += r.shortfall[k]!;
    if (r.shortfall[k]! > 0) minutes++;
    paid += r.paid[k]!;
  }
  return {
    shortfallUnitMinutes: Math.round(short * 1000) / 1000,
    shortfallMinutes: minutes,
    nodeHours: paid / 60,
    cost: (paid / 60) * 0.17,
    migrations: arm === 'shadowcast' ? 3 : 0,
    rollbacks: arm === 'shadowcast' ? 1 : 0,
    updates: 0,
  };
}

function input(t: SimTimeline, pool = 'storefront'): SimulationReportInput {
  // Through unknown: the figures carry more than the report reads.
  const result = {
    pool,
    start: t.start,
    end: t.start + t.demand.length * MINUTE,
    minutes: t.demand.length,
    shadowcast: { ...figures(t, 'shadowcast'), alerts: [], plans: 1536, refits: 384, model: 'mstl' },
    baselines: {
      reactive: figures(t, 'reactive'),
      static: { ...figures(t, 'static'), instances: 28 },
      staticMatched: { ...figures(t, 'staticMatched'), instances: 17 },
    },
  } as unknown as Omit<SimulationResult, 'timeline'>;
  return { result, timeline: t, settings: { history: '14d', seed: 1, inject: [] } };
}

const MARKERS: TimelineMarker[] = [
  {
    at: T0 + 2 * DAY + 8 * 60 * MINUTE + 2 * MINUTE,
    kind: 'migration',
    label: 'storefront-1: forecast peak 1520',
  },
  {
    at: T0 + 2 * DAY + 8 * 60 * MINUTE + 9 * MINUTE,
    kind: 'migration',
    label: 'storefront-2: shadow warm-up',
  },
  { at: T0 + 5 * DAY + 13 * 60 * MINUTE, kind: 'migration', label: 'storefront-3: scale in after the peak' },
  {
    at: T0 + 5 * DAY + 13 * 60 * MINUTE + 30 * MINUTE,
    kind: 'rollback',
    label: 'storefront-3: gate latency_p99_ms 412 above max 300',
  },
];

describe('bucketTimeline', () => {
  it.each([
    [60, 1],
    [1500, 1],
    [1501, 2],
    [23_040, 20],
    [288_000, 240],
  ])('%i minutes are cut into buckets of %i minutes', (minutes, size) => {
    expect(bucketMinutesFor(minutes)).toBe(size);
    expect(Math.ceil(minutes / size)).toBeLessThanOrEqual(MAX_BUCKETS);
  });

  it.each([16, 200])(
    '%i days: the buckets keep every arm’s total shortfall, the highest demand and the lowest ready',
    (days) => {
      const t = timeline(days);
      const b = bucketTimeline(t);
      expect(b.starts.length).toBeLessThanOrEqual(MAX_BUCKETS);
      expect(b.starts[0]).toBe(t.start);
      expect(b.ends[b.ends.length - 1]).toBe(t.start + t.demand.length * MINUTE);
      expect(max(b.demandMax)).toBe(max(t.demand));
      for (const a of ARMS) {
        const sum = (xs: Float64Array) => xs.reduce((s, v) => s + v, 0);
        const total = sum(t.arms[a].shortfall);
        expect(sum(b.arms[a].shortfall)).toBeCloseTo(total, 6);
        expect(sum(b.arms[a].shortMinutes)).toBe(t.arms[a].shortfall.filter((v) => v > 0).length);
        expect(-max(b.arms[a].readyMin.map((v) => -v))).toBe(-max(t.arms[a].ready.map((v) => -v)));
        expect(max(b.arms[a].shortPeak)).toBe(max(t.arms[a].shortfall));
        // The mean of the bucket means (buckets of equal size) is the mean paid.
        expect(sum(b.arms[a].paidMean) / b.starts.length).toBeCloseTo(
          sum(t.arms[a].paid) / t.demand.length,
          6,
        );
      }
      // Both kinds of arm fall short in this trace: the test means something.
      expect(shortTotal(t, 'shadowcast')).toBeGreaterThan(0);
      expect(shortTotal(t, 'reactive')).toBeGreaterThan(shortTotal(t, 'shadowcast'));
    },
  );

  it('a bucket that falls short holds its worst minute: the demand then, and how much of it went unserved', () => {
    const t = timeline(16);
    const b = bucketTimeline(t);
    const size = b.bucketMinutes;
    const r = t.arms.shadowcast;
    const k = r.shortfall.findIndex((v) => v > 0);
    const i = Math.floor(k / size);
    let peak = 0;
    let at = -1;
    for (let j = i * size; j < (i + 1) * size; j++)
      if (r.shortfall[j]! > peak) [peak, at] = [r.shortfall[j]!, j];
    expect(b.arms.shadowcast.shortPeak[i]).toBe(peak);
    expect(b.arms.shadowcast.shortPeakDemand[i]).toBe(t.demand[at]);
  });
});

function max(xs: Float64Array): number {
  return xs.reduce((m, v) => Math.max(m, v), -Infinity);
}

function shortTotal(t: SimTimeline, a: Arm): number {
  return t.arms[a].shortfall.reduce((s, v) => s + v, 0);
}

describe('simulationReportHtml', () => {
  it('is one page that fetches nothing: no script, no external reference', async () => {
    const html = await simulationReportHtml(input(timeline(16, MARKERS)));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(img|iframe|object|embed|link rel="stylesheet")/i);
    expect(html).not.toMatch(/@import|url\((?!#)/);
    // The only URLs are the SVG namespaces and the empty icon.
    const urls = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(urls).toEqual(['data:,']);
    expect([...new Set(html.match(/https?:\/\/[^"\s)]+/g))].sort()).toEqual([
      'http://www.w3.org/1999/xlink',
      'http://www.w3.org/2000/svg',
    ]);
  });

  it('shows the pool, the span, the minutes and every arm in the table and the charts', async () => {
    const t = timeline(16, MARKERS);
    const html = await simulationReportHtml(input(t));
    expect(html).toContain('<title>shadowcast simulate: storefront</title>');
    expect(html).toContain('2023-04-15 00:00 to 2023-05-01 00:00 UTC');
    expect(html).toContain('<dd>23040 (384 h)</dd>');
    const table = html.slice(html.indexOf('<table class="figures">'), html.indexOf('</table>'));
    for (const a of ARMS) expect(table).toContain(`data-arm="${a}"`);
    expect(table).toContain('1536 plans, 384 fits, mstl');
    expect(table).toContain('28 instances');
    for (const name of ['shadowcast', 'reactive', 'static N+k', 'static, matched']) {
      for (const chart of ['capacity', 'paid', 'shortfall']) {
        const svg = figure(html, chart);
        expect(svg, `${name} in ${chart}`).toContain(`>${name}`);
      }
    }
    expect(figure(html, 'capacity')).toContain('>demand</text>');
    expect(figure(html, 'shadow-weight')).toMatch(/class="mark-area[^"]*"/);
    expect(html).toContain('Each point is a bucket of 20 min (1152 buckets for 23040 minutes)');
  });

  it.each([16, 200])(
    '%i days: shades shadowcast’s shortfall in every span where it fell short, the spans’ titles summing to its total',
    async (days) => {
      const t = timeline(days);
      const b = bucketTimeline(t);
      const html = await simulationReportHtml(input(t));
      // A span is a few pixels: a few buckets in 16 days, more in 200.
      const size = cellBuckets(b);
      expect(size * b.bucketMinutes).toBe(days === 16 ? 120 : 1680);
      const spans = (a: Arm) => {
        let n = 0;
        for (let lo = 0; lo < b.starts.length; lo += size)
          if (b.arms[a].shortfall.slice(lo, lo + size).some((v) => v > 0)) n++;
        return n;
      };
      const short = group(figure(html, 'capacity'), 'short_marks');
      expect(short.match(/<path /g)).toHaveLength(spans('shadowcast'));
      const sums = [...short.matchAll(/: ([\d.]+) unit-minutes short/g)].map((m) => Number(m[1]));
      expect(sums).toHaveLength(spans('shadowcast'));
      // Titles print num(): each is within half a unit-minute of its span's sum.
      expect(Math.abs(sums.reduce((s, v) => s + v, 0) - shortTotal(t, 'shadowcast'))).toBeLessThanOrEqual(
        sums.length * 0.5,
      );
      // One cell per arm and span short in the strip, with its title.
      const cells = group(figure(html, 'shortfall'), 'cells_marks');
      expect(cells.match(/<title>/g)).toHaveLength(ARMS.reduce((n, a) => n + spans(a), 0));
      for (const a of ARMS) {
        const titled = [
          ...cells.matchAll(
            new RegExp(`<title>${esc(ARM_NAMES[a])}, [^<]*? UTC: ([\\d.]+) unit-minutes short`, 'g'),
          ),
        ];
        const total = titled.reduce((s, m) => s + Number(m[1]), 0);
        expect(Math.abs(total - shortTotal(t, a)), a).toBeLessThanOrEqual(titled.length * 0.5);
      }
    },
  );

  it('marks migrations and rollbacks, each with its label as a title, and lists them', async () => {
    const html = await simulationReportHtml(input(timeline(16, MARKERS)));
    const svg = figure(html, 'capacity');
    // The first two fall in one 20-minute bucket: one symbol, both labels.
    const migrations = group(svg, 'migrations_marks');
    expect(migrations.match(/<path /g)).toHaveLength(2);
    expect(migrations).toContain(
      '<title>2 migrations from 2023-04-17 08:02 UTC:\n08:02 storefront-1: forecast peak 1520\n08:09 storefront-2: shadow warm-up</title>',
    );
    expect(migrations).toContain(
      '<title>2023-04-20 13:00 UTC migration: storefront-3: scale in after the peak</title>',
    );
    const rollbacks = group(svg, 'rollbacks_marks');
    expect(rollbacks.match(/<path /g)).toHaveLength(1);
    expect(rollbacks).toContain(
      '<title>2023-04-20 13:30 UTC rollback: storefront-3: gate latency_p99_ms 412 above max 300</title>',
    );
    expect(group(svg, 'rollbackrules_marks')).toMatch(/<line [^>]*><title>2023-04-20 13:30 UTC rollback/);
    for (const name of ['migration', 'rollback']) expect(svg).toContain(`>${name}</text>`);
    expect(html).toContain('3 migration starts (teal ▼) and 1 rollback (pink ▼ and dashed rule) are marked');
    const table = html.slice(html.indexOf('<table class="markers">'));
    for (const m of MARKERS) expect(table).toContain(`<td>${m.label}</td>`);
  });

  it('without markers, says so and draws none', async () => {
    const html = await simulationReportHtml(input(timeline(16)));
    expect(html).toContain('No migrations or rollbacks are marked');
    expect(html).not.toContain('migrations_marks');
    expect(html).not.toContain('<table class="markers">');
  });

  it('markup in the pool, labels, alerts, model and settings is text', async () => {
    const t = timeline(2, [{ at: T0 + 600 * MINUTE, kind: 'rollback', label: `label ${HOSTILE}` }]);
    const inp = input(t, `pool ${HOSTILE}`);
    inp.result.shadowcast.alerts.push(`alert ${HOSTILE}`);
    inp.result.shadowcast.model = `model ${HOSTILE}`;
    inp.settings = { [`key ${HOSTILE}`]: `value ${HOSTILE}`, list: [HOSTILE] };
    const html = await simulationReportHtml(inp);
    expect(html).not.toMatch(/<script|<img/i);
    const escaped = esc(HOSTILE);
    for (const what of ['pool', 'label', 'alert', 'model', 'key', 'value'])
      expect(html, what).toContain(`${what} ${escaped}`);
    expect(html).toContain(`<title>shadowcast simulate: pool ${escaped}</title>`);
    expect(html).toContain(`<title>2023-04-15 10:00 UTC rollback: label ${escaped}</title>`);
  });

  it('is the same page for the same replay', async () => {
    const t = timeline(3, MARKERS);
    expect(await simulationReportHtml(input(t))).toBe(await simulationReportHtml(input(t)));
  });

  it('an empty timeline gives a page that says so', async () => {
    const t = timeline(0);
    const html = await simulationReportHtml(input(t));
    expect(html).toContain('The timeline is empty');
    expect(html).not.toContain('<svg');
  });

  it.each([
    ['16 days', 16, false, 1.5, 1_000_000],
    ['200 days', 200, false, 5, 2_000_000],
    ['200 days (every arm short every minute, a migration every 15 minutes)', 200, true, 5, 2_000_000],
  ])(
    '%s render in under %i s and under %i bytes',
    async (what, days, worst, seconds, bytes) => {
      const markers: TimelineMarker[] = [];
      // A migration every 5 hours and a rollback every 3 days, as a busy pool would have.
      const every = worst ? 15 : 300;
      for (let t = T0 + 17 * MINUTE; t < T0 + days * DAY; t += every * MINUTE) {
        const label = `storefront-${markers.length + 1}: forecast peak 1520 above ready 1280 (${'x'.repeat(worst ? 200 : 0)})`;
        markers.push({ at: t, kind: 'migration', label });
      }
      for (let t = T0 + 3 * DAY; t < T0 + days * DAY; t += (worst ? 0.5 : 3) * DAY)
        markers.push({ at: t, kind: 'rollback', label: 'gate failed: latency_p99_ms 412 above max 300' });
      const t = timeline(days, markers);
      if (worst) for (const a of ARMS) t.arms[a].shortfall.fill(12.5);
      const t0 = performance.now();
      const html = await simulationReportHtml(input(t));
      const ms = performance.now() - t0;
      const size = Buffer.byteLength(html);
      console.log(`simulation report, ${what}: ${Math.round(ms)} ms, ${Math.round(size / 1024)} KiB`);
      expect(ms).toBeLessThan(seconds * 1000);
      expect(size).toBeLessThan(bytes);
      const b = bucketTimeline(t);
      expect(b.starts.length).toBeLessThanOrEqual(MAX_BUCKETS);
      // Every bucket of the demand line is drawn: at least one path command a bucket.
      const demand = group(figure(html, 'capacity'), 'demand_marks');
      expect((demand.match(/[LHV]/g) ?? []).length).toBeGreaterThanOrEqual(b.starts.length);
      // Markers are gathered a few pixels apart: a few hundred symbols at most.
      const symbols = group(figure(html, 'capacity'), 'migrations_marks').match(/<path /g) ?? [];
      expect(symbols.length).toBe(markerGroups(b, markers).filter((g) => g.kind === 'migration').length);
      expect(symbols.length).toBeLessThanOrEqual(Math.ceil(b.starts.length / cellBuckets(b)));
    },
    30_000,
  );
});

/** The inline SVG of one figure of the page. */
function figure(html: string, cls: string): string {
  const at = html.indexOf(`<figure class="sim-chart ${cls}">`);
  expect(at, cls).toBeGreaterThanOrEqual(0);
  return html.slice(at, html.indexOf('</figure>', at));
}

/** The markup of one named mark group of an SVG. */
function group(svg: string, name: string): string {
  const at = svg.indexOf(` ${name}"`);
  expect(at, name).toBeGreaterThanOrEqual(0);
  return svg.slice(at, svg.indexOf('</g>', at));
}
