// `shadowcast simulate`: replays a demand file through forecast → plan → apply on the simulated
// fleet, beside reactive target tracking and static N+k on the same trace, and prints what each
// cost and how much demand each left unserved.
//
// --format json, one line, a contract:
//   {"shadowcast": {"shortfallUnitMinutes", "shortfallMinutes", "nodeHours", "migrations",
//    "rollbacks", ...extras}, "baselines": {"reactive": {same}, "static": {same}},
//    "pool", "start", "end", "minutes", "settings": {...}}

import { eventsFromFiles } from '../calendars/index.js';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import type { CalendarEvent } from '../core/events.js';
import { parseFailuresCsv } from '../metrics/failures-csv.js';
import { loadPolicyDir } from '../policy/load.js';
import type { Policy } from '../policy/types.js';
import { defaultFitWorkers } from '../pipeline/fit-pool.js';
import { simFleetFactory } from '../simulate/fleet.js';
import { readInput } from '../metrics/read-input.js';
import { loadSeries } from '../pipeline/forecast-pool.js';
import { FAULT_KINDS, type InjectedFault, parseFault } from '../simulate/inject.js';
import {
  type Figures,
  type Resample,
  simulate,
  type SimulationResult,
  timelineCsv,
} from '../simulate/simulate.js';
import { fmt, table, writeAtomically } from './output.js';
import { utcMinute } from '../core/time-format.js';

export interface SimulateFlags {
  demand: string;
  series?: string;
  tz: string;
  pool?: string;
  policy: string;
  events: string[];
  failures?: string;
  failureRate: number;
  inject: string[];
  history: string;
  resample: Resample;
  refit: string;
  seed: number;
  staticExtra: number;
  format: 'table' | 'json';
  /** Write every arm's minute-by-minute record here (CSV). */
  timeline?: string;
  /** Write the replay's report here (one self-contained HTML page). */
  report?: string;
  /** Threads fitting forecasts ahead of the replay (default: one a core). */
  workers?: number;
  /** Zones the pool's instances spread over (zone-outage faults name one). */
  zones?: string[];
}

export async function simulateCommand(flags: SimulateFlags): Promise<void> {
  const { result, policy, settings } = await runSimulate(flags);
  const { timeline, ...figures } = result;
  const files: { path: string; content: string }[] = [];
  if (flags.timeline !== undefined && timeline)
    files.push({ path: flags.timeline, content: timelineCsv(timeline) });
  if (flags.report !== undefined && timeline) {
    // Loaded only here: the charts' renderer is the heaviest module this command can need.
    const { simulationReportHtml } = await import('../report/simulation-report.js');
    files.push({
      path: flags.report,
      content: await simulationReportHtml({ result: figures, timeline, settings }),
    });
  }
  // Both or neither: a report and a timeline of one replay.
  if (files.length) await writeAtomically(files);
  if (flags.format === 'json') {
    process.stdout.write(`${JSON.stringify({ ...figures, settings })}\n`);
    return;
  }
  process.stdout.write(`${simulationTable(figures, policy)}\n`);
}

/** The whole run behind the command (also what `npm run bench` calls). */
export async function runSimulate(
  flags: SimulateFlags,
): Promise<{ result: SimulationResult; policy: Policy; settings: Record<string, unknown> }> {
  const historyMs = positiveDuration('--history', flags.history);
  const refitMs = positiveDuration('--refit', flags.refit);
  const { pool, policy } = await poolPolicy(flags.policy, flags.pool);
  const { series } = await loadSeries({ input: flags.demand, series: flags.series, zone: flags.tz });
  const ts = series.timestamps;
  const start = Math.ceil((ts[0]! + historyMs) / 60_000) * 60_000;
  const end = ts[ts.length - 1]! + series.stepMs;
  if (end - start < 3_600_000) {
    throw new UsageError(
      `--history ${flags.history} leaves less than an hour of ${flags.demand} to replay (it spans ${hours(end - ts[0]!)} h)`,
    );
  }
  const faults: InjectedFault[] = flags.inject.map((spec, i) => {
    const prev = flags.inject[i - 1];
    // The shell split an unquoted event name: `missed-event:Black Friday` arrives as two specs.
    if (prev?.startsWith('missed-event:') && !FAULT_KINDS.some((k) => spec.startsWith(k))) {
      throw new UsageError(
        `--inject "${spec}": not a fault; an event name with spaces needs quotes: --inject "${prev} ${spec}"`,
      );
    }
    return parseFault(spec, start, flags.tz);
  });
  let events: CalendarEvent[] = flags.events.length
    ? await eventsFromFiles(flags.events, ts[0]!, end + policy.forecast.horizonMs, { timezone: flags.tz })
    : [];
  for (const f of faults) {
    if (f.kind !== 'zone-outage' || flags.zones?.includes(f.zone)) continue;
    throw new UsageError(
      flags.zones
        ? `--inject zone-outage:${f.zone}: the pool has no zone ${f.zone} (--zones ${flags.zones.join(',')})`
        : `--inject zone-outage:${f.zone}: the pool has no zones: name them with --zones (e.g. --zones a,b,c)`,
    );
  }
  for (const f of faults) {
    if (f.kind !== 'missed-event') continue;
    const kept = events.filter((e) => e.name !== f.name);
    if (kept.length === events.length) {
      const names = [...new Set(events.map((e) => e.name))];
      throw new UsageError(
        `--inject missed-event:${f.name}: no such event in the calendars${names.length ? ` (they have: ${names.slice(0, 8).join(', ')})` : ' (none given: --events)'}`,
      );
    }
    events = kept;
  }
  const failures = flags.failures
    ? parseFailuresCsv(flags.failures, await readInput(flags.failures), flags.tz).map((f) => ({ ...f, pool }))
    : [];
  const tty = process.stderr.isTTY && flags.format === 'table';
  const result = await simulate({
    pool,
    demand: series,
    policy,
    events,
    historyMs,
    resample: flags.resample,
    refitMs,
    fitWorkers: flags.workers ?? defaultFitWorkers(),
    metricLagMs: 60_000,
    staticExtra: flags.staticExtra,
    stabilizationMs: 5 * 60_000,
    faults,
    timeline: flags.timeline !== undefined || flags.report !== undefined,
    zones: flags.zones,
    fleet: simFleetFactory(pool, policy, {
      seed: flags.seed,
      failures,
      failureRatePerHour: flags.failureRate,
      ...(flags.zones ? { zones: flags.zones } : {}),
    }),
    onProgress: tty
      ? (who, done, total) =>
          process.stderr.write(
            `\r${who}: day ${Math.floor(done / 86_400_000)} of ${Math.ceil(total / 86_400_000)}…\x1b[K`,
          )
      : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const settings = {
    policy: flags.policy,
    mode: policy.mode,
    history: flags.history,
    resample: flags.resample,
    refit: flags.refit,
    seed: flags.seed,
    staticExtra: flags.staticExtra,
    failures: failures.length,
    failureRatePerHour: flags.failureRate,
    inject: flags.inject,
    ...(flags.zones ? { zones: flags.zones } : {}),
  };
  return { result, policy, settings };
}

async function poolPolicy(dir: string, wanted?: string): Promise<{ pool: string; policy: Policy }> {
  const set = await loadPolicyDir(dir);
  if (set.errors.length > 0) throw set.errors[0]!;
  const names = [...set.pools.keys()].sort();
  const pool = wanted ?? (names.length === 1 ? names[0]! : undefined);
  if (pool === undefined) {
    throw new UsageError(`--pool is needed: ${dir} has policies for ${names.join(', ') || 'no pool'}`);
  }
  const found = set.pools.get(pool);
  if (!found) {
    throw new UsageError(
      `--pool ${pool}: no policy in ${dir}/pools/${pool}.yaml (known: ${names.join(', ') || 'none'})`,
    );
  }
  return { pool, policy: found.policy };
}

function positiveDuration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || !(ms > 0))
    throw new UsageError(`${flag} "${text}": expected a duration (90m, 14d, 1w)`);
  return ms;
}

/** What `simulate` prints: the figures of every arm, the comparisons, the first alerts. */
export function simulationTable(r: Omit<SimulationResult, 'timeline'>, policy: Policy): string {
  const row = (name: string, f: Figures, extra = '') => [
    name,
    fmt(f.shortfallUnitMinutes),
    f.shortfallMinutes,
    fmt(f.nodeHours),
    `$${f.cost.toFixed(2)}`,
    f.migrations,
    f.rollbacks,
    extra,
  ];
  const sc = r.shadowcast;
  const rx = r.baselines.reactive;
  const st = r.baselines.static;
  const sm = r.baselines.staticMatched;
  const lines = [
    `${r.pool}: ${r.minutes} minutes replayed, ${utcMinute(r.start)} to ${utcMinute(r.end)} (policy mode ${policy.mode}: the simulation applies its plans regardless)`,
    '',
    table(
      ['', 'shortfall (unit-min)', 'minutes short', 'node-hours', 'cost', 'migrations', 'rollbacks', 'notes'],
      [
        row(
          'shadowcast',
          sc,
          `${sc.plans} plans, ${sc.refits} fits${sc.model.startsWith('auto') ? ` (${sc.selections} selections)` : ''}, ${sc.model}`,
        ),
        row('reactive', rx, 'target tracking, 1 min metric lag, 5 min scale-in window'),
        row('static N+k', st, `${st.instances} instances`),
        row(
          'static, matched',
          sm,
          sm.shortfallUnitMinutes <= sc.shortfallUnitMinutes
            ? `${sm.instances} instances: the fewest short no more than shadowcast`
            : `${sm.instances} instances: even N+k falls shorter than shadowcast`,
        ),
      ],
    ),
    '',
    `shadowcast vs reactive: shortfall ${ratio(sc.shortfallUnitMinutes, rx.shortfallUnitMinutes)}, node-hours ${ratio(sc.nodeHours, rx.nodeHours)}`,
    `shadowcast vs static:   shortfall ${ratio(sc.shortfallUnitMinutes, st.shortfallUnitMinutes)}, node-hours ${ratio(sc.nodeHours, st.nodeHours)}`,
    `shadowcast vs static at its shortfall: node-hours ${ratio(sc.nodeHours, sm.nodeHours)}`,
  ];
  if (sc.alerts.length) {
    lines.push('', `alerts (${sc.alerts.length}):`, ...sc.alerts.slice(0, 10).map((a) => `  ${a}`));
    if (sc.alerts.length > 10) lines.push(`  … ${sc.alerts.length - 10} more (--format json has them all)`);
  }
  return lines.join('\n');
}

function ratio(a: number, b: number): string {
  if (b === 0) return a === 0 ? 'both 0' : `${fmt(a)} vs 0`;
  return `${((a / b) * 100).toFixed(1)}% of it`;
}

function hours(ms: number): string {
  return (ms / 3_600_000).toFixed(0);
}
