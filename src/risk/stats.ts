// Online statistics that see each value once, in order, and keep O(1) state: exponentially
// weighted mean and spread, and a fixed ring of recent values. They are what keeps every risk
// score causal: nothing here can see a value before it is pushed.

/** Weight of the newest value for a half-life of `rows` rows. */
export function alphaFor(halfLifeRows: number): number {
  return 1 - 0.5 ** (1 / Math.max(halfLifeRows, 1e-9));
}

/** Exponentially weighted mean and variance (West's incremental form). */
export class EwStats {
  mean = Number.NaN;
  variance = 0;
  count = 0;
  private readonly alpha: number;

  constructor(halfLifeRows: number) {
    this.alpha = alphaFor(halfLifeRows);
  }

  push(x: number): void {
    if (!Number.isFinite(x)) return;
    this.count++;
    if (this.count === 1) {
      this.mean = x;
      return;
    }
    // Until the window has filled, weigh values equally, so the first rows do not dominate.
    const a = Math.max(this.alpha, 1 / this.count);
    const d = x - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }
}

/** The last `size` values pushed; `ago(k)` is the value pushed k pushes before the newest. */
export class Ring {
  private readonly buf: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly size: number) {
    this.buf = new Float64Array(size);
  }

  push(x: number): void {
    this.buf[this.next] = x;
    this.next = (this.next + 1) % this.size;
    if (this.filled < this.size) this.filled++;
  }

  get length(): number {
    return this.filled;
  }

  /** NaN when fewer than k + 1 values were pushed. */
  ago(k: number): number {
    if (k < 0 || k >= this.filled) return Number.NaN;
    return this.buf[(this.next - 1 - k + 2 * this.size) % this.size]!;
  }
}

/** z = (x - mean) / spread, with the spread floored so a flat metric's tiny wobble is not news. */
export function zScore(x: number, mean: number, std: number, scale: number): number {
  if (!Number.isFinite(x) || !Number.isFinite(mean)) return 0;
  const floor = 1e-9 + 0.01 * Math.abs(scale);
  const z = (x - mean) / Math.max(std, floor);
  return Math.max(-50, Math.min(50, z));
}

/** Minimum of the last `size` values pushed, in O(1) amortised time (a monotone deque). */
export class RollingMin {
  private readonly values: number[] = [];
  private readonly rows: number[] = [];
  private head = 0;
  private row = 0;

  constructor(readonly size: number) {}

  push(x: number): number {
    while (this.rows.length > this.head && this.values[this.values.length - 1]! >= x) {
      this.values.pop();
      this.rows.pop();
    }
    this.values.push(x);
    this.rows.push(this.row);
    while (this.rows[this.head]! <= this.row - this.size) this.head++;
    // Drop the consumed front now and then, so the arrays stay short.
    if (this.head > 1024) {
      this.values.splice(0, this.head);
      this.rows.splice(0, this.head);
      this.head = 0;
    }
    this.row++;
    return this.values[this.head]!;
  }
}

/** Where v goes in ascending `a`: the first index whose value is >= v. */
export function lowerBound(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The step of a node's rows: the median gap between successive distinct timestamps. */
export function stepOf(timestamps: readonly number[]): number {
  const gaps: number[] = [];
  // Repeated times (duplicates, merged copies of one export) say nothing of the sampling step.
  for (let i = 1; i < timestamps.length && gaps.length < 1000; i++) {
    const gap = timestamps[i]! - timestamps[i - 1]!;
    if (gap > 0) gaps.push(gap);
  }
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1] ?? 60_000;
}
