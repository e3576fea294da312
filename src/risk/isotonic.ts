// Isotonic calibration: a non-decreasing step map from a raw score to the observed frequency of
// failure, fitted by pool-adjacent-violators. It keeps the models' ranking and only re-labels it,
// so a calibrated 0.7 means "about 70% of training rows scored like this failed within the horizon".

export interface IsotonicMap {
  /** Upper raw-score edge of each step, increasing. */
  x: number[];
  /** Calibrated probability of each step, non-decreasing. */
  y: number[];
}

/**
 * Fit on raw scores and 0/1 outcomes. `prior` pseudo-rows at the base rate shrink tiny steps, and
 * every step rests on at least `minRows` rows: a step fitted to a handful of rows is noise, and a
 * score a hair across its edge would read a very different probability.
 */
export function fitIsotonic(
  scores: ArrayLike<number>,
  outcomes: ArrayLike<number>,
  prior = 2,
  minRows = 1,
): IsotonicMap {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += outcomes[i]!;
  const base = n ? positives / n : 0;
  // Blocks of tied scores first, then merge neighbours while they violate monotonicity.
  const xs: number[] = [];
  const sums: number[] = [];
  const weights: number[] = [];
  for (const i of order) {
    const s = scores[i]!;
    if (xs.length && xs[xs.length - 1] === s) {
      sums[sums.length - 1]! += outcomes[i]!;
      weights[weights.length - 1]! += 1;
      continue;
    }
    xs.push(s);
    sums.push(outcomes[i]!);
    weights.push(1);
  }
  const bx: number[] = [];
  const bs: number[] = [];
  const bw: number[] = [];
  for (let k = 0; k < xs.length; k++) {
    bx.push(xs[k]!);
    bs.push(sums[k]! + prior * base);
    bw.push(weights[k]! + prior);
    while (bx.length > 1 && bs.at(-2)! / bw.at(-2)! >= bs.at(-1)! / bw.at(-1)!) {
      const s = bs.pop()!;
      const w = bw.pop()!;
      const x = bx.pop()!;
      bs[bs.length - 1]! += s - prior * base;
      bw[bw.length - 1]! += w - prior;
      bx[bx.length - 1] = x;
    }
  }
  // Merge the lightest step into the neighbour nearer in probability until each holds minRows;
  // a merged step's probability lies between its parts', so the map stays non-decreasing.
  for (;;) {
    let k = -1;
    for (let j = 0; j < bw.length; j++) if (bw[j]! - prior < minRows && (k < 0 || bw[j]! < bw[k]!)) k = j;
    if (k < 0 || bw.length < 2) break;
    const mean = (j: number) => bs[j]! / bw[j]!;
    const into =
      k === 0
        ? 1
        : k === bw.length - 1
          ? k - 1
          : mean(k) - mean(k - 1) <= mean(k + 1) - mean(k)
            ? k - 1
            : k + 1;
    const [lo, hi] = into < k ? [into, k] : [k, into];
    bs[lo] = bs[lo]! + bs[hi]! - prior * base;
    bw[lo] = bw[lo]! + bw[hi]! - prior;
    bx[lo] = bx[hi]!;
    bs.splice(hi, 1);
    bw.splice(hi, 1);
    bx.splice(hi, 1);
  }
  return { x: bx, y: bs.map((s, k) => s / bw[k]!) };
}

/**
 * The calibrated probability of a raw score: the step whose edge is the first at or above it (the
 * top step for a score above every edge: the search ends there).
 */
export function applyIsotonic(map: IsotonicMap, score: number): number {
  const { x, y } = map;
  if (!x.length) return 0;
  let lo = 0;
  let hi = x.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! >= score) hi = mid;
    else lo = mid + 1;
  }
  return y[lo]!;
}
