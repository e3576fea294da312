// A fake clock that lives through every minute it passes. A replay must serve each minute so that
// the health gate has data, but the runner only sleeps (for an update, for the bake time); this
// clock calls back at every minute boundary it crosses, so those sleeps leave the same trace of
// served minutes that real time would.

import type { Clock } from '../../core/seams.js';

export class ReplayClock implements Clock {
  private t: number;

  /** `onStep(t)` runs at every multiple of `stepMs` the clock reaches, with now() already t. */
  constructor(
    start: number,
    private readonly onStep: (t: number) => void,
    private readonly stepMs = 60_000,
  ) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  async sleep(ms: number): Promise<void> {
    const end = this.t + Math.max(0, ms);
    for (
      let next = Math.floor(this.t / this.stepMs) * this.stepMs + this.stepMs;
      next <= end;
      next += this.stepMs
    ) {
      this.t = next;
      this.onStep(next);
    }
    this.t = end;
  }
}
