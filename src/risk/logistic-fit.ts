// Fitting the classifier (logistic.ts): Newton's method (iteratively reweighted least squares) with
// ml-matrix solving each step, an active set keeping monotone weights at or above 0.

import { Matrix, solve } from 'ml-matrix';
import { dot, identity, type LogisticModel, sigmoid, signedLog, standardise } from './logistic.js';

export interface LogisticOptions {
  /** Features whose weight may not be negative (more deviation never means less risk). */
  monotone?: readonly boolean[];
  /** Features left out: their weight is held at 0 (a stack that must not hear a voice). */
  unused?: readonly boolean[];
  /** Weight of each row (default 1): a subsample's rows weigh the rows they stand for. */
  weights?: ArrayLike<number>;
  /** Strength of the L2 penalty on the (standardised) weights; the intercept is not penalised. */
  l2: number;
  /** Take features as they are (see LogisticModel.linear). */
  linear?: boolean;
  maxIterations: number;
}

const DEFAULTS = { l2: 1, maxIterations: 50 };

/** rows: n feature vectors of length d; y: 0/1 outcomes. */
export function fitLogistic(
  rows: readonly Float64Array[],
  y: ArrayLike<number>,
  options: Partial<LogisticOptions> = {},
): LogisticModel {
  const { l2, maxIterations } = { ...DEFAULTS, ...options };
  const rowWeight = (i: number) => options.weights?.[i] ?? 1;
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  if (n === 0) throw new Error('no rows to train the classifier on');
  const transform = options.linear ? identity : signedLog;
  const centre = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) centre[j]! += transform(r[j]!) / n;
  for (const r of rows) for (let j = 0; j < d; j++) scale[j]! += (transform(r[j]!) - centre[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]!) || 1;
  const shape = { centre, scale, ...(options.linear ? { linear: true } : {}) };
  const z = rows.map((r) => standardise(r, shape));
  // Risk must not fall as a deviation grows: weights marked monotone may not go negative. An
  // active set: fit, pin the most negative monotone weight at 0, refit, until none is negative.
  const pinned = Array.from({ length: d }, (_, j) => options.unused?.[j] === true);
  let w = newton(z, y, rowWeight, l2, maxIterations, pinned);
  for (;;) {
    let worst = -1;
    for (let j = 0; j < d; j++) {
      if (options.monotone?.[j] && !pinned[j] && w[j + 1]! < 0 && (worst < 0 || w[j + 1]! < w[worst + 1]!))
        worst = j;
    }
    if (worst < 0) break;
    pinned[worst] = true;
    w = newton(z, y, rowWeight, l2, maxIterations, pinned);
  }
  return { ...shape, weights: w };
}

/** Newton's method for the penalised log-likelihood, with `pinned` weights held at 0. */
function newton(
  z: readonly Float64Array[],
  y: ArrayLike<number>,
  rowWeight: (i: number) => number,
  l2: number,
  maxIterations: number,
  pinned: readonly boolean[],
): number[] {
  const n = z.length;
  const d = pinned.length;
  let w = new Array<number>(d + 1).fill(0);
  for (let iter = 0; iter < maxIterations; iter++) {
    const grad = new Array<number>(d + 1).fill(0);
    const k = d + 1;
    const hess = new Float64Array(k * k);
    const xa = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const xi = z[i]!;
      xa[0] = 1;
      xa.set(xi, 1);
      const p = sigmoid(dot(w, xi));
      const g = (p - y[i]!) * rowWeight(i);
      const h = Math.max(p * (1 - p), 1e-9) * rowWeight(i);
      for (let a = 0; a < k; a++) {
        const va = xa[a]!;
        grad[a]! += g * va;
        const hv = h * va;
        for (let b = a; b < k; b++) hess[a * k + b]! += hv * xa[b]!;
      }
    }
    for (let a = 1; a < k; a++) {
      grad[a]! += l2 * w[a]!;
      hess[a * k + a]! += l2;
      if (pinned[a - 1]) {
        grad[a] = 0;
        for (let b = 0; b < k; b++) hess[a * k + b] = hess[b * k + a] = 0;
        hess[a * k + a] = 1;
      }
    }
    const H = new Matrix(k, k);
    for (let a = 0; a < k; a++)
      for (let b = a; b < k; b++) H.set(a, b, hess[a * k + b]!).set(b, a, hess[a * k + b]!);
    const step = solve(H, Matrix.columnVector(grad)).to1DArray();
    w = w.map((v, k) => v - step[k]!);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return w;
}
