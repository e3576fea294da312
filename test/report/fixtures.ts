// Run-report inputs built from the real code paths where they are cheap: the planner makes the
// plan from a synthetic forecast under the built-in policy, and the migration executor applies it
// on a fake clock, writing real journal records (a passing gate, or one that fails at a chosen
// step and rolls back). Only the deploy target is an in-memory stand-in: these tests are about
// what the report shows, not about a fleet.

import { FakeClock } from '../../src/core/clock.js';
import type { CalendarEvent } from '../../src/core/events.js';
import type { Forecast } from '../../src/core/forecast.js';
import type { MigrationStep, PoolState } from '../../src/core/plan.js';
import type { ApplyResult, Deployer, GateResult, HealthGate } from '../../src/core/seams.js';
import type { Series } from '../../src/core/series.js';
import { Executor } from '../../src/deploy/executor.js';
import { type JournalRecord, MemoryJournal } from '../../src/deploy/journal.js';
import { plan } from '../../src/plan/plan.js';
import type { Policy } from '../../src/policy/types.js';
import type { PlanReport, PoolReportInput, RunReportInput } from '../../src/report/run-report.js';
import type { NodeReport } from '../../src/pipeline/node-risk.js';
import { HOUR, MIN, pool, testPolicy } from '../plan/fixtures.js';

export const T0 = Date.UTC(2026, 0, 5, 8);

/** A day-cycle history of `days` days before `origin` (T0), and a `horizon`-hour forecast from it whose mean peaks at `peak`. */
export function forecastOf(
  name: string,
  opts: {
    base?: number;
    peak?: number;
    days?: number;
    horizon?: number;
    level?: number;
    origin?: number;
  } = {},
): { series: Series; forecast: Forecast; events: CalendarEvent[] } {
  const base = opts.base ?? 400;
  const peak = opts.peak ?? base * 1.5;
  const n = (opts.days ?? 10) * 24;
  const horizon = opts.horizon ?? 48;
  const origin = opts.origin ?? T0;
  // Highest an hour after T0, so the plan made at T0 has to grow the pool.
  const daily = (i: number) => 0.5 + 0.5 * Math.cos((2 * Math.PI * ((i % 24) - 1)) / 24);
  const series: Series = {
    name,
    timestamps: Array.from({ length: n }, (_, i) => origin - (n - i) * HOUR),
    values: Float64Array.from(
      { length: n },
      (_, i) => base + (peak - base) * 0.8 * daily(i) + ((i * 7) % 11),
    ),
    stepMs: HOUR,
  };
  const mean = Float64Array.from({ length: horizon }, (_, i) => base + (peak - base) * daily(n + i));
  const forecast: Forecast = {
    timestamps: Array.from({ length: horizon }, (_, i) => origin + i * HOUR),
    mean,
    lower: mean.map((m) => m * 0.8),
    upper: mean.map((m) => m * 1.5),
    level: opts.level ?? 0.8,
  };
  const events: CalendarEvent[] = [
    {
      name: 'winter sale',
      kind: 'campaign',
      start: origin + 10 * HOUR,
      end: origin + 20 * HOUR,
      lowerWindowMs: HOUR,
      upperWindowMs: 0,
    },
  ];
  return { series, forecast, events };
}

/** A node's report as scorePoolNodes returns it. */
export function node(id: string, score: number, over: Partial<NodeReport> = {}): NodeReport {
  return {
    id,
    score,
    criticality: 'normal',
    stateless: true,
    load: 0.25,
    aboveTransitionMs: 0,
    belowReleaseMs: 0,
    state: score >= 0.9 ? 'transition' : score >= 0.7 ? 'provision' : 'ok',
    at: T0 - MIN,
    rows: 600,
    blame: 'cpu_steal',
    ...over,
  };
}

/** The real planner's plan for one pool, as the report takes it. */
export function planFor(
  name: string,
  forecast: Forecast,
  current: PoolState,
  nodes: NodeReport[] = [],
  policy: Policy = testPolicy(),
): PlanReport {
  const p = plan(
    {
      pools: [{ pool: name, policy, current, forecast, observed: forecast.mean[0]!, nodes }],
      intervalMs: 15 * MIN,
    },
    new FakeClock(forecast.timestamps[0]!),
  );
  return { ...p.pools[name]!, at: p.at, mode: policy.mode, intervalMs: 15 * MIN };
}

/** An in-memory stack: updates take 45 s on the clock and land. */
class MemoryTarget implements Deployer {
  constructor(
    private state: PoolState,
    private readonly clock: FakeClock,
  ) {}
  async current(): Promise<PoolState> {
    return structuredClone(this.state);
  }
  async apply(_pool: string, desired: PoolState): Promise<ApplyResult> {
    await this.clock.sleep(45_000);
    this.state = structuredClone(desired);
    return { ok: true, state: this.state };
  }
  async rollback(_pool: string, to: PoolState): Promise<ApplyResult> {
    await this.clock.sleep(45_000);
    this.state = structuredClone(to);
    return { ok: true, state: this.state };
  }
}

/**
 * The executor's journal records for applying `steps` from `current`, starting at the first
 * step's time; with `failGateAt` (1-based), that step's gate fails with `failReason` and the
 * migration rolls back.
 */
export async function journalOf(
  name: string,
  steps: MigrationStep[],
  current: PoolState,
  opts: { failGateAt?: number; failReason?: string } = {},
): Promise<JournalRecord[]> {
  const start = steps[0]?.notBefore ?? T0;
  const clock = new FakeClock(start);
  const journal = new MemoryJournal();
  // The gate learns which step it watches from the journal, as a person reading it would.
  const gate: HealthGate = {
    check: async (): Promise<GateResult> => {
      const step = journal.records.findLast((r) => r.kind === 'step-intent')?.step?.index;
      return step === opts.failGateAt
        ? { pass: false, reason: opts.failReason ?? 'error_rate 0.052 above max 0.02' }
        : { pass: true };
    },
  };
  const executor = new Executor({
    deployer: new MemoryTarget(current, clock),
    gate,
    clock,
    journal,
    stepTimeoutMs: 60 * MIN,
    // The executor's own id format, on the fake clock: POOL-YYYYMMDDTHHMMZ.
    newId: (pool) => `${pool}-${new Date(start).toISOString().replace(/[-:]/g, '').slice(0, 13)}Z`,
  });
  await executor.start(name, { at: new Date(start).toISOString(), key: `${name}-key`, steps });
  return journal.records;
}

/**
 * A realistic pool: forecast, four nodes (one at the provision threshold), the planner's plan from
 * a pool too small for the forecast, and its migration (rolled back when `failGateAt` is given).
 */
export async function poolInput(
  name: string,
  opts: { failGateAt?: number; failReason?: string; peak?: number; policy?: Policy; origin?: number } = {},
): Promise<PoolReportInput> {
  const origin = opts.origin ?? T0;
  const f = forecastOf(name, { base: 400, peak: opts.peak ?? 900, origin });
  const policy = opts.policy ?? testPolicy();
  const nodes = [
    node(`${name}-p-1`, 0.04, { criticality: 'high', stateless: false }),
    node(`${name}-p-2`, 0.31),
    node(`${name}-p-3`, 0.78, { blame: 'disk_io_wait' }),
    node(`${name}-p-4`, 0.12),
  ].map((n) => ({ ...n, at: origin - MIN }));
  const current = pool(4);
  const p = planFor(name, f.forecast, current, nodes, policy);
  const records = await journalOf(name, p.steps, current, opts);
  return {
    pool: name,
    status: 'ok',
    durationMs: 2_350,
    forecast: { ...f, model: 'auto:mstl', unit: 'requests/s' },
    risk: { nodes, standby: policy.standby },
    plan: p,
    migration: { records },
    accuracy: { window: 'last 7 days', mape: 0.082, coverage: 0.78, level: 0.8, threshold: 0.2, points: 168 },
  };
}

/** A run of these pools, its alerts gathered from the plans and journals the way the run loop would. */
export function runOf(pools: PoolReportInput[], over: Partial<RunReportInput> = {}): RunReportInput {
  const alerts = pools.flatMap((p) => [
    ...(p.plan?.alerts ?? []).map((message) => ({ at: p.plan!.at, pool: p.pool, kind: 'plan', message })),
    ...(p.migration?.records ?? [])
      .filter((r) => r.kind === 'alert')
      .map((r) => ({ at: Date.parse(r.at), pool: p.pool, kind: 'migration', message: r.reason ?? '' })),
  ]);
  return {
    runId: 'run-20260105T080000Z',
    startedAt: T0 - 30_000,
    finishedAt: T0 - 30_000 + pools.reduce((a, p) => a + p.durationMs, 0),
    mode: 'once',
    target: 'sim',
    pools,
    alerts,
    ...over,
  };
}
