// The effective policy of one pool, as the planner and the deployer read it: every field filled
// (built-in defaults, then policies/defaults.yaml, then the pool's override), durations in
// milliseconds, percentages as written (20 means 20 %). The YAML schema that produces it is in
// schema.ts; this file is the contract the planner codes against.

import type { StandbyPolicy } from '../core/risk.js';

/** What shadowcast may do: plan and report only (the default), or apply its plans. */
export type PolicyMode = 'recommend' | 'apply';

export interface HealthGateRule {
  /** Metric name as the health source knows it (error_rate, latency_p99_ms...). */
  metric: string;
  /** The step fails when the metric goes above `max` or below `min` during the bake time. */
  max?: number;
  min?: number;
}

export interface Policy {
  mode: PolicyMode;
  forecast: {
    /** How far ahead to forecast (ms). */
    horizonMs: number;
    /** Interval coverage; the shadow pool is sized from the upper bound at this level. */
    level: number;
    model: 'auto' | 'prophet' | 'mstl' | 'naive';
    /** Alert when the mean absolute percentage error over the error window goes above this, in %. */
    maxErrorPercent: number;
    /** How far back each run scores earlier forecasts against what was observed (ms). */
    errorWindowMs: number;
    /** Each forecast is fitted on the newest this much of the pool's history (ms). */
    historyMs: number;
  };
  capacity: {
    /** Demand units one primary instance serves at full load. */
    unitsPerInstance: number;
    minInstances: number;
    maxInstances: number;
    /** Kept above the forecast mean (and above observed load) in the primary pool, in %. */
    headroomPercent: number;
    instanceType: string;
    /** Cost of one primary instance per hour, in the account's currency. */
    hourlyCost: number;
    /** Time from asking for an instance to its serving traffic (boot, warm-up), ms. */
    provisionMs: number;
    /** Provisioning starts this much before the lead time asks: the stack update itself, a late boot, ms. */
    launchBufferMs: number;
    /**
     * Units of each further resource (memory, network...) one primary instance offers, by the name
     * a forecast spec's `resources:` gives its series; the pool is sized by the resource that binds.
     */
    resources: Record<string, number>;
    zoneLoss: 'ignore' | 'at-risk' | 'always';
  };
  shadow: {
    enabled: boolean;
    /** The primary and shadow pools together cover this share of the forecast's upper peak, in %. */
    peakPercent: number;
    /** ...plus this buffer, in % of that peak. */
    bufferPercent: number;
    minSize: number;
    /** The shadow pool may use a smaller instance; defaults to the primary's. */
    instanceType: string;
    unitsPerInstance: number;
    hourlyCost: number;
    /** Provisioning plus warm-up lead time of a shadow instance, ms: it is asked for this early. */
    leadTimeMs: number;
  };
  /** Thresholds per criticality, dwell and release: see StandbyPolicy in src/core/risk.ts. */
  standby: StandbyPolicy;
  risk: {
    /** `built-in`, or the path of a model file from `risk train` (resolved against the policy file that named it). */
    model: string;
    /** How often `run` retrains the model from the pool's history and labels, ms; absent: never. */
    retrainEveryMs?: number;
    /** The labels CSV retraining learns from (resolved against the policy file that named it). */
    labels?: string;
    /** Share of labelled nodes held out to judge a retrained model. */
    holdout: number;
  };
  migration: {
    /** Largest change of any route weight in one step (0.1). */
    stepSize: number;
    /** Health gate watch time after each step, ms. */
    bakeMs: number;
    gates: HealthGateRule[];
    maxConcurrent: number;
    /** Alert when more migrations than this start within an hour. */
    alertPerHour: number;
    /** A step not done (applied and baked) within this ends in rollback and an alert, ms. */
    stepTimeoutMs: number;
  };
  guardrails: {
    /** Across all pools (primary + shadow + standby). */
    maxTotalInstances: number;
    /** Across all pools, in the account's currency per hour. */
    maxHourlyCost: number;
    /** Pools shadowcast never changes (it still forecasts and reports them). */
    protectedPools: string[];
  };
  schedule: {
    cron: string;
    timezone: string;
  };
}
