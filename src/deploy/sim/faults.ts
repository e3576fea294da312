// Faults injected into the simulated fleet (by `simulate --inject`, `apply --inject` and by tests),
// beside those it makes itself: crashes (kept with the pool's failure trace), slow provisioning
// over a window, updates that fail after taking their time, updates that take longer than usual,
// and windows in which health metrics go missing.

/** Faults `simulate --inject` and tests add while the fleet runs. */
export type Fault =
  | { kind: 'crash'; at: number; pool: string; instance?: string }
  | { kind: 'slow-provisioning'; from: number; to: number; factor: number; pool?: string }
  | { kind: 'failed-step'; count?: number; stepId?: string | RegExp; pool?: string; reason?: string }
  | { kind: 'metrics-outage'; from: number; to: number; pool?: string }
  /** Every instance of the pool in `zone` fails at `from`; until `to` nothing is placed there. */
  | { kind: 'zone-outage'; zone: string; from: number; to: number; pool: string }
  /** The next `count` updates (default 1) of the pool (or whose step id matches) take `factor` times as long. */
  | { kind: 'slow-update'; factor: number; count?: number; stepId?: string | RegExp; pool?: string };

type Window = { from: number; to: number; pool?: string };
type FailedStep = Extract<Fault, { kind: 'failed-step' }>;
type SlowUpdate = Extract<Fault, { kind: 'slow-update' }>;

function covers(window: Window, pool: string, t: number): boolean {
  return (window.pool === undefined || window.pool === pool) && window.from <= t && t < window.to;
}

/** The faults other than crashes, and the questions the fleet asks of them. */
export class Faults {
  private readonly slow: Extract<Fault, { kind: 'slow-provisioning' }>[] = [];
  private readonly outages: Window[] = [];
  private readonly failedSteps: (FailedStep & { left: number })[] = [];
  private readonly slowUpdates: (SlowUpdate & { left: number })[] = [];

  add(fault: Exclude<Fault, { kind: 'crash' | 'zone-outage' }>): void {
    switch (fault.kind) {
      case 'slow-provisioning':
        if (!(fault.factor > 0)) {
          throw new Error(`slow-provisioning factor must be positive, got ${fault.factor}`);
        }
        this.slow.push(fault);
        return;
      case 'failed-step':
        // With a step id and no count, every matching update fails; without either, the next one.
        this.failedSteps.push({ ...fault, left: fault.count ?? (fault.stepId === undefined ? 1 : Infinity) });
        return;
      case 'metrics-outage':
        this.outages.push(fault);
        return;
      case 'slow-update':
        if (!(fault.factor > 0)) throw new Error(`slow-update factor must be positive, got ${fault.factor}`);
        this.slowUpdates.push({ ...fault, left: fault.count ?? (fault.stepId === undefined ? 1 : Infinity) });
        return;
    }
  }

  /** Boot time multiplier for an instance of `pool` requested at t (overlapping windows multiply). */
  slowFactor(pool: string, t: number): number {
    return this.slow.filter((s) => covers(s, pool, t)).reduce((f, s) => f * s.factor, 1);
  }

  metricsOut(pool: string, t: number): boolean {
    return this.outages.some((o) => covers(o, pool, t));
  }

  /** The failed-step fault this update of `pool` meets, used up by one; undefined when none. */
  failedStep(pool: string, stepId: string | undefined): FailedStep | undefined {
    return take(this.failedSteps, pool, stepId);
  }

  /** Duration multiplier of this update of `pool` (the slow-update faults it meets, used up by one each). */
  updateFactor(pool: string, stepId: string | undefined): number {
    let factor = 1;
    for (const f of this.slowUpdates) if (take([f], pool, stepId)) factor *= f.factor;
    return factor;
  }
}

type Counted = { left: number; pool?: string; stepId?: string | RegExp };

/** The first fault of `list` with uses left that applies to this update, used up by one. */
function take<F extends Counted>(list: F[], pool: string, stepId: string | undefined): F | undefined {
  const matches = (f: F) =>
    f.stepId === undefined ||
    (stepId !== undefined && (typeof f.stepId === 'string' ? f.stepId === stepId : f.stepId.test(stepId)));
  const fault = list.find((f) => f.left > 0 && (f.pool === undefined || f.pool === pool) && matches(f));
  if (fault) fault.left--;
  return fault;
}
