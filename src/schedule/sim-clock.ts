// The simulator's clock: a fake clock that lives through every minute it skips. Whoever sleeps on
// it (a stack update taking its time, a bake, the wait for the next scheduled run) lets the world
// move on minute by minute, so demand keeps arriving and being served while a migration runs,
// exactly as it would in real time, only faster.

import type { Clock } from '../core/seams.js';

export const MINUTE = 60_000;

export class SimClock implements Clock {
  private t: number;

  /** `onMinute(m)` is called for each whole minute m the clock reaches, in order, once. */
  constructor(
    start: number,
    private readonly onMinute: (minute: number) => void,
  ) {
    this.t = start;
    if (start % MINUTE === 0) onMinute(start);
  }

  now(): number {
    return this.t;
  }

  async sleep(ms: number): Promise<void> {
    this.advanceTo(this.t + Math.max(0, ms));
  }

  /** Moves time forward to `end`, serving each minute on the way. */
  advanceTo(end: number): void {
    let next = Math.floor(this.t / MINUTE) * MINUTE + MINUTE;
    while (next <= end) {
      this.t = next;
      this.onMinute(next);
      next += MINUTE;
    }
    this.t = Math.max(this.t, end);
  }
}
