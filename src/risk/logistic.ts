// The learned classifier: L2-regularised logistic regression on a node's folded features, fitted by
// Newton's method (iteratively reweighted least squares) with ml-matrix solving each step. Features
// pass through a signed log1p and are standardised first, since deviations are heavy-tailed. Small, exact,
// deterministic, and its weights say which feature drives a score.

import { Matrix, solve } from 'ml-matrix';

export interface LogisticModel {
  /** Per-feature centre and scale, applied after the signed log (or to the value itself, when linear). */
  centre: number[];
  scale: number[];
  /** Features taken as they are, not through the signed log: they are already log-scale evidence. */
  linear?: boolean;
  /** Intercept first, then one weight per feature. */
  weights: number[];
}

export interface LogisticOptions {
  /** Features whose weight may not be negative (more deviation never means less risk). */
  monotone?: readonly boolean[];
  /** Weight of each row (default 1): a subsample's rows weigh the rows they stand for. */
  weights?: ArrayLike<number>;
  /** Strength of the L2 penalty on the (standardised) weights; the intercept is not penalised. */
  l2: number;
  /** Take features as they are (see LogisticModel.linear). */
  linear?: boolean;
  maxIterations: number;
}

const DEFAULTS = { l2: 1, maxIterations: 50 };

/** Signed log: keeps the side of the range a value is on, tames the heavy tails. */
function signedLog(x: number): number {
  return Math.sign(x) * Math.log1p(Math.abs(x));
}

const identity = (x: number) => x;

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
  const pinned = new Array<boolean>(d).fill(false);
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

export function predictLogistic(model: LogisticModel, row: ArrayLike<number>): number {
  return sigmoid(dot(model.weights, standardise(row, model)));
}

/** What each feature adds to the log-odds of a row, against a row at the training centre. */
export function contributions(model: LogisticModel, row: ArrayLike<number>): Float64Array {
  const z = standardise(row, model);
  return z.map((v, j) => model.weights[j + 1]! * v);
}

function standardise(
  row: ArrayLike<number>,
  { centre, scale, linear }: Pick<LogisticModel, 'centre' | 'scale' | 'linear'>,
): Float64Array {
  const transform = linear ? identity : signedLog;
  const out = new Float64Array(centre.length);
  for (let j = 0; j < centre.length; j++) out[j] = (transform(row[j]!) - centre[j]!) / scale[j]!;
  return out;
}

function dot(w: number[], x: Float64Array): number {
  let s = w[0]!;
  for (let j = 0; j < x.length; j++) s += w[j + 1]! * x[j]!;
  return s;
}

function sigmoid(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
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
