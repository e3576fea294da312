// The baseline every risk model must beat: a rolling z-score. Each metric's newest value is
// compared with the mean and spread of its previous `window` rows; the node's score is the two-sided
// normal coverage of its largest |z| (|z| = 1.04 gives 0.7, 1.64 gives 0.9), so it reads as
// "how unusual is the most unusual metric right now".

import { Ring } from '../src/risk/stats.js';

export const ZSCORE_WINDOW = 60;

class RollingMoments {
  private readonly ring: Ring;
  private sum = 0;
  private sumSq = 0;

  constructor(readonly window: number) {
    this.ring = new Ring(window);
  }

  /** z of x against the rows before it, then x joins the window. */
  push(x: number): number {
    const n = this.ring.length;
    let z = 0;
    if (n >= Math.min(10, this.window)) {
      const mean = this.sum / n;
      const sd = Math.sqrt(Math.max(this.sumSq / n - mean * mean, 0));
      z = (x - mean) / Math.max(sd, 1e-9 + 0.01 * Math.abs(mean));
    }
    if (n === this.window) {
      const old = this.ring.ago(n - 1);
      this.sum -= old;
      this.sumSq -= old * old;
    }
    this.ring.push(x);
    this.sum += x;
    this.sumSq += x * x;
    return Number.isFinite(z) ? Math.min(Math.abs(z), 50) : 0;
  }
}

/** Online rolling z-score of one node; `update` returns the largest |z| over its metrics. */
export class RollingZ {
  private readonly metrics = new Map<string, RollingMoments>();
  /** The metric with the largest |z| at the last update. */
  blame: string | undefined;

  constructor(private readonly window = ZSCORE_WINDOW) {}

  update(values: Readonly<Record<string, number>>): number {
    let worst = 0;
    this.blame = undefined;
    for (const [name, x] of Object.entries(values)) {
      if (!Number.isFinite(x)) continue;
      let m = this.metrics.get(name);
      if (!m) this.metrics.set(name, (m = new RollingMoments(this.window)));
      const z = m.push(x);
      if (z > worst) [worst, this.blame] = [z, name];
    }
    return worst;
  }
}

/** Two-sided coverage of |z| under a normal: erf(|z| / sqrt 2), by Abramowitz-Stegun 7.1.26. */
export function zCoverage(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 1 - poly * Math.exp(-x * x);
}
