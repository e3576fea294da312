// `apply --inject step=N:FAULT`: faults thrown at one step of a migration, to watch the executor
// roll back, alert and recover. N is 1-based, as plans print steps (`#`) and step ids number them.
//
//   step=N:update-failure        the step's update fails (the simulated fleet changes nothing)
//   step=N:gate-failure          the step's health gate fails
//   step=N:metrics-outage        health metrics vanish from the step on (the gate fails closed)
//   step=N:slow-update[:FACTOR]  the step's update takes FACTOR times as long (default 10)
//   step=N:kill[:POINT]          the process SIGKILLs itself at POINT of the step: after-apply
//                                (default: the fleet has the update, the journal does not yet),
//                                after-intent, mid-update (the target reported its update under
//                                way; it runs on), mid-update-engine (the same, and everything
//                                this process started dies with it: the Pulumi CLI and plugins),
//                                mid-bake, or mid-rollback (with a fault that fails the step: the
//                                rollback update lands, its record does not)
//
// update-failure, metrics-outage and slow-update need the simulated fleet (--target sim).

import { UsageError } from '../core/errors.js';
import type { MigrationStep } from '../core/plan.js';
import type { GateResult, HealthGate } from '../core/seams.js';
import { CRASH_POINTS, type CrashPoint } from './executor.js';
import type { JournalRecord, StepRef } from './journal.js';
import type { Fault } from './sim/fleet.js';
import { killDescendants } from './process.js';

export const STEP_FAULTS = [
  'update-failure',
  'gate-failure',
  'metrics-outage',
  'slow-update',
  'kill',
] as const;

export type StepFault =
  | { step: number; kind: 'update-failure' | 'gate-failure' | 'metrics-outage' }
  | { step: number; kind: 'slow-update'; factor: number }
  | { step: number; kind: 'kill'; point: CrashPoint };

export const DEFAULT_SLOW_FACTOR = 10;
/** A metrics outage lasts this long from the step's intent (simulated time). */
const OUTAGE_MS = 6 * 3_600_000;

export function parseStepFault(spec: string): StepFault {
  const bad = (why: string) =>
    new UsageError(
      `--inject "${spec}": ${why} (e.g. step=2:gate-failure, step=3:slow-update:30, step=1:kill, step=2:kill:after-intent)`,
    );
  const m = /^step=(\d+):([a-z-]+)(?::(.+))?$/.exec(spec.trim());
  if (!m) throw bad('expected step=N:FAULT');
  const step = Number(m[1]);
  const kind = m[2]!;
  const arg = m[3];
  if (!(step >= 1)) throw bad('steps are numbered from 1');
  switch (kind) {
    case 'update-failure':
    case 'gate-failure':
    case 'metrics-outage':
      if (arg !== undefined) throw bad(`${kind} takes no value`);
      return { step, kind };
    case 'slow-update': {
      const factor = arg === undefined ? DEFAULT_SLOW_FACTOR : Number(arg);
      if (!(factor > 1 && Number.isFinite(factor))) throw bad(`factor "${arg}" must be a number above 1`);
      return { step, kind, factor };
    }
    case 'kill': {
      const point = (arg ?? 'after-apply') as CrashPoint;
      if (!CRASH_POINTS.includes(point))
        throw bad(`kill point "${arg}": expected one of ${CRASH_POINTS.join(', ')}`);
      return { step, kind, point };
    }
    default:
      throw bad(`unknown fault "${kind}"; expected one of ${STEP_FAULTS.join(', ')}`);
  }
}

/** Faults that cannot happen on this plan or target, as a UsageError naming the flag. */
export function checkStepFaults(
  faults: readonly StepFault[],
  steps: readonly MigrationStep[],
  simulated: boolean,
): void {
  for (const f of faults) {
    const spec = `--inject step=${f.step}:${f.kind}`;
    if (f.step > steps.length) {
      throw new UsageError(`${spec}: the plan has ${steps.length} step${steps.length === 1 ? '' : 's'}`);
    }
    const step = steps[f.step - 1]!;
    if ((f.kind === 'gate-failure' || f.kind === 'metrics-outage') && step.bakeMs <= 0) {
      throw new UsageError(`${spec}: step ${f.step} (${step.kind}) has no bake time, so no health gate runs`);
    }
    if (
      !simulated &&
      (f.kind === 'update-failure' || f.kind === 'metrics-outage' || f.kind === 'slow-update')
    ) {
      throw new UsageError(`${spec}: needs the simulated fleet (--target sim)`);
    }
  }
}

export interface InjectionTarget {
  /** The simulated fleet's own faults; absent on a real target. */
  inject?(fault: Fault): void;
  now(): number;
}

/** Arms each fault when its step starts (from the journal's records) and kills at crash points. */
export class StepFaultInjector {
  private step: number | undefined;
  /** The step whose failure a rollback under way follows. */
  private failed: number | undefined;

  constructor(
    private readonly faults: readonly StepFault[],
    private readonly target: InjectionTarget,
    private readonly kill: (point: CrashPoint) => void = (point) => {
      // mid-update-engine: the CLI and its plugins die with the runner (a machine lost), leaving
      // the stack locked with operations pending; mid-update: the runner alone, its update runs on.
      if (point === 'mid-update-engine') killDescendants();
      process.kill(process.pid, 'SIGKILL');
    },
  ) {}

  onRecord(r: JournalRecord): void {
    if (r.kind === 'step-failed') this.failed = r.step?.index;
    if (r.kind !== 'step-intent' || !r.step) return;
    this.step = r.step.index;
    const now = this.target.now();
    for (const f of this.faults.filter((x) => x.step === r.step!.index)) {
      const pool = r.pool;
      if (f.kind === 'update-failure') {
        this.target.inject?.({
          kind: 'failed-step',
          count: 1,
          pool,
          reason: `injected update-failure (step ${f.step})`,
        });
      } else if (f.kind === 'slow-update') {
        this.target.inject?.({ kind: 'slow-update', factor: f.factor, count: 1, pool });
      } else if (f.kind === 'metrics-outage') {
        this.target.inject?.({ kind: 'metrics-outage', from: now, to: now + OUTAGE_MS, pool });
      }
    }
  }

  crashPoint = (point: CrashPoint, step: StepRef | undefined): void => {
    const index = point === 'mid-rollback' ? this.failed : step?.index;
    if (this.faults.some((f) => f.kind === 'kill' && f.point === point && f.step === index)) this.kill(point);
  };

  gate(inner: HealthGate): HealthGate {
    return {
      check: async (pool: string, start: number, end: number): Promise<GateResult> => {
        const injected = this.faults.some((f) => f.kind === 'gate-failure' && f.step === this.step);
        if (injected) return { pass: false, reason: `injected gate-failure (step ${this.step})` };
        return inner.check(pool, start, end);
      },
    };
  }
}
