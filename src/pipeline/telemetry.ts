// What the runner tells Prometheus about itself, on /metrics (prom-client): every pool's forecast
// and its recent accuracy, each node's failure probability, planned against actual capacity,
// migrations and rollbacks, run durations and failures, alerts. The names and labels are a
// contract (README, "Self-observability"): dashboards and alert rules are written against them.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Forecast } from '../core/forecast.js';
import type { PoolState } from '../core/plan.js';
import type { AccuracySummary } from '../forecast/accuracy.js';
import type { ModelInUse } from './risk-retrain.js';

export type RunResult = 'ok' | 'failed' | 'busy' | 'skipped';
export type MigrationOutcome = 'completed' | 'rolled_back' | 'in_progress' | 'nothing';

export class RunMetrics {
  readonly registry = new Registry();
  private readonly forecastValue: Gauge<'pool' | 'quantity' | 'at'>;
  private readonly forecastError: Gauge<'pool'>;
  private readonly forecastCoverage: Gauge<'pool'>;
  private readonly forecastScored: Gauge<'pool'>;
  private readonly nodeFps: Gauge<'pool' | 'node'>;
  private readonly modelInfo: Gauge<'pool' | 'version' | 'source'>;
  private readonly modelHeldOut: Gauge<'pool' | 'figure'>;
  private readonly retrains: Counter<'pool' | 'outcome'>;
  private readonly serviceRisk: Gauge<'pool' | 'service'>;
  private readonly graphEdges: Gauge<'pool'>;
  private readonly capacity: Gauge<'pool' | 'kind' | 'state'>;
  private readonly weight: Gauge<'pool' | 'route' | 'state'>;
  private readonly migrations: Counter<'pool' | 'outcome'>;
  private readonly rollbacks: Counter<'pool'>;
  private readonly duration: Histogram<'pool'>;
  private readonly runs: Counter<'pool' | 'result'>;
  private readonly failures: Counter<'pool'>;
  private readonly alerts: Counter<'pool' | 'kind'>;
  private readonly lastRun: Gauge<'pool'>;
  private readonly lastSuccess: Gauge<'pool'>;
  /** Node series last set per pool, so a node that left the pool stops being reported. */
  private readonly nodesOf = new Map<string, string[]>();
  /** The model each pool uses, so a pool's old version stops being reported when a new one is promoted. */
  private readonly modelsOf = new Map<string, { version: string; source: string }>();

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'shadowcast_' });
    this.forecastValue = new Gauge({
      name: 'shadowcast_forecast',
      help: "Forecast demand: quantity mean|lower|upper, at next (the first forecast step) or peak (the horizon's highest upper bound).",
      labelNames: ['pool', 'quantity', 'at'],
      registers,
    });
    this.forecastError = new Gauge({
      name: 'shadowcast_forecast_error_percent',
      help: "Mean absolute percentage error of earlier forecasts against what was observed, over the policy's forecast.errorWindow.",
      labelNames: ['pool'],
      registers,
    });
    this.forecastCoverage = new Gauge({
      name: 'shadowcast_forecast_interval_coverage_ratio',
      help: 'Share of observed points that fell inside the forecast interval, over the error window.',
      labelNames: ['pool'],
      registers,
    });
    this.forecastScored = new Gauge({
      name: 'shadowcast_forecast_scored_points',
      help: 'Observed points the forecast error and coverage are computed from.',
      labelNames: ['pool'],
      registers,
    });
    this.nodeFps = new Gauge({
      name: 'shadowcast_node_failure_probability',
      help: "Each node's failure probability score (FPS), in [0, 1].",
      labelNames: ['pool', 'node'],
      registers,
    });
    this.modelInfo = new Gauge({
      name: 'shadowcast_risk_model_info',
      help: 'The failure-risk model a pool scores its nodes with: 1, labelled with its version (12 hex digits of its SHA-256) and source (built-in, a model file, or retrained from one).',
      labelNames: ['pool', 'version', 'source'],
      registers,
    });
    this.modelHeldOut = new Gauge({
      name: 'shadowcast_risk_model_heldout',
      help: "The model in use on the pool's held-out nodes at its last retraining: figure f1 | false_alarms_per_day | brier | events | median_lead_minutes.",
      labelNames: ['pool', 'figure'],
      registers,
    });
    this.retrains = new Counter({
      name: 'shadowcast_risk_model_retrains_total',
      help: 'Risk model retraining attempts by outcome: promoted | kept (the retrained model was worse) | skipped (too few labelled nodes) | failed.',
      labelNames: ['pool', 'outcome'],
      registers,
    });
    this.serviceRisk = new Gauge({
      name: 'shadowcast_service_failure_probability',
      help: "Each service's probability of failing when the pool's service fails as its nodes' highest FPS says (Monte Carlo over the traffic graph).",
      labelNames: ['pool', 'service'],
      registers,
    });
    this.graphEdges = new Gauge({
      name: 'shadowcast_service_graph_edges',
      help: 'Caller → callee edges in the decayed traffic graph.',
      labelNames: ['pool'],
      registers,
    });
    this.capacity = new Gauge({
      name: 'shadowcast_capacity_instances',
      help: 'Instances by kind (primary, shadow, standby): state planned (the desired state) or actual (as the deploy target shows it).',
      labelNames: ['pool', 'kind', 'state'],
      registers,
    });
    this.weight = new Gauge({
      name: 'shadowcast_route_weight',
      help: "Share of the pool's traffic routed to primary or shadow: planned or actual.",
      labelNames: ['pool', 'route', 'state'],
      registers,
    });
    this.migrations = new Counter({
      name: 'shadowcast_migrations_total',
      help: 'Migrations run, by outcome (completed, rolled_back, in_progress when stopped or a rollback failed).',
      labelNames: ['pool', 'outcome'],
      registers,
    });
    this.rollbacks = new Counter({
      name: 'shadowcast_rollbacks_total',
      help: 'Migrations that ended rolled back.',
      labelNames: ['pool'],
      registers,
    });
    this.duration = new Histogram({
      name: 'shadowcast_run_duration_seconds',
      help: "One pool's run: ingest, forecast, risk, plan and apply.",
      labelNames: ['pool'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.runs = new Counter({
      name: 'shadowcast_runs_total',
      help: 'Pool runs by result: ok, failed, busy (another process held the pool), skipped (stopping).',
      labelNames: ['pool', 'result'],
      registers,
    });
    this.failures = new Counter({
      name: 'shadowcast_run_failures_total',
      help: 'Pool runs that failed (an error, or a migration that rolled back).',
      labelNames: ['pool'],
      registers,
    });
    this.alerts = new Counter({
      name: 'shadowcast_alerts_total',
      help: 'Alerts raised, by kind (forecast-drift, migration-rate, run-failed, rollback, plan, metrics-missing, signal-missing, risk-model).',
      labelNames: ['pool', 'kind'],
      registers,
    });
    this.lastRun = new Gauge({
      name: 'shadowcast_last_run_timestamp_seconds',
      help: "When the pool's latest run finished (Unix time).",
      labelNames: ['pool'],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'shadowcast_last_success_timestamp_seconds',
      help: "When the pool's latest successful run finished (Unix time).",
      labelNames: ['pool'],
      registers,
    });
  }

  forecast(pool: string, f: Forecast): void {
    if (f.mean.length === 0) return;
    let peak = 0;
    for (let i = 1; i < f.upper.length; i++) if (f.upper[i]! > f.upper[peak]!) peak = i;
    for (const [at, i] of [
      ['next', 0],
      ['peak', peak],
    ] as const) {
      this.forecastValue.set({ pool, quantity: 'mean', at }, f.mean[i]!);
      this.forecastValue.set({ pool, quantity: 'lower', at }, f.lower[i]!);
      this.forecastValue.set({ pool, quantity: 'upper', at }, f.upper[i]!);
    }
  }

  accuracy(pool: string, s: AccuracySummary): void {
    this.forecastScored.set({ pool }, s.points);
    if (Number.isFinite(s.mape)) this.forecastError.set({ pool }, s.mape);
    if (Number.isFinite(s.coverage)) this.forecastCoverage.set({ pool }, s.coverage);
  }

  nodes(pool: string, nodes: readonly { id: string; score: number }[]): void {
    for (const old of this.nodesOf.get(pool) ?? []) this.nodeFps.remove({ pool, node: old });
    for (const n of nodes) this.nodeFps.set({ pool, node: n.id }, n.score);
    this.nodesOf.set(
      pool,
      nodes.map((n) => n.id),
    );
  }

  riskModel(pool: string, m: Omit<ModelInUse, 'model'>): void {
    this.modelInfo.reset();
    for (const [p, info] of this.modelsOf.set(pool, m))
      this.modelInfo.set({ pool: p, version: info.version, source: info.source }, 1);
    const f = m.heldOut;
    if (f) {
      const figures = {
        f1: f.f1,
        false_alarms_per_day: f.falseAlarmsPerDay,
        brier: f.brier,
        events: f.events,
        median_lead_minutes: f.medianLeadMinutes,
      };
      for (const [figure, v] of Object.entries(figures))
        if (Number.isFinite(v)) this.modelHeldOut.set({ pool, figure }, v);
        else this.modelHeldOut.remove({ pool, figure });
    }
    if (m.retrained) this.retrains.inc({ pool, outcome: m.retrained.outcome });
  }

  services(pool: string, g: { edges: number; services: readonly { service: string; risk: number }[] }): void {
    this.graphEdges.set({ pool }, g.edges);
    for (const s of g.services) this.serviceRisk.set({ pool, service: s.service }, s.risk);
  }

  capacityOf(pool: string, state: 'planned' | 'actual', s: PoolState): void {
    this.capacity.set({ pool, kind: 'primary', state }, s.primary);
    this.capacity.set({ pool, kind: 'shadow', state }, s.shadow);
    this.capacity.set({ pool, kind: 'standby', state }, Object.keys(s.standby).length);
    this.weight.set({ pool, route: 'primary', state }, s.weights.primary);
    this.weight.set({ pool, route: 'shadow', state }, s.weights.shadow);
  }

  migration(pool: string, outcome: MigrationOutcome): void {
    if (outcome === 'nothing') return;
    this.migrations.inc({ pool, outcome });
    if (outcome === 'rolled_back') this.rollbacks.inc({ pool });
  }

  alert(pool: string, kind: string): void {
    this.alerts.inc({ pool, kind });
  }

  runFinished(pool: string, seconds: number, result: RunResult, at: number): void {
    this.runs.inc({ pool, result });
    if (result === 'skipped') return;
    this.duration.observe({ pool }, seconds);
    this.lastRun.set({ pool }, at / 1000);
    if (result === 'failed') this.failures.inc({ pool });
    if (result === 'ok') this.lastSuccess.set({ pool }, at / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
