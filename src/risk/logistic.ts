// The learned classifier's form and its prediction: L2-regularised logistic regression on a node's
// folded features (fitted in logistic-fit.ts). Features pass through a signed log1p and are
// standardised first, since deviations are heavy-tailed. Small, exact, deterministic, and its
// weights say which feature drives a score. Scoring loads only this module, not the solver.

export interface LogisticModel {
  /** Per-feature centre and scale, applied after the signed log (or to the value itself, when linear). */
  centre: number[];
  scale: number[];
  /** Features taken as they are, not through the signed log: they are already log-scale evidence. */
  linear?: boolean;
  /** Intercept first, then one weight per feature. */
  weights: number[];
}

/** Signed log: keeps the side of the range a value is on, tames the heavy tails. */
export function signedLog(x: number): number {
  return Math.sign(x) * Math.log1p(Math.abs(x));
}

export const identity = (x: number) => x;

export function predictLogistic(model: LogisticModel, row: ArrayLike<number>): number {
  // The hot path of scoring: the standardised row is never built.
  const { centre, scale, weights } = model;
  const transform = model.linear ? identity : signedLog;
  let s = weights[0]!;
  for (let j = 0; j < centre.length; j++)
    s += (weights[j + 1]! * (transform(row[j]!) - centre[j]!)) / scale[j]!;
  return sigmoid(s);
}

/** What each feature adds to the log-odds of a row, against a row at the training centre. */
export function contributions(model: LogisticModel, row: ArrayLike<number>): Float64Array {
  const z = standardise(row, model);
  return z.map((v, j) => model.weights[j + 1]! * v);
}

export function standardise(
  row: ArrayLike<number>,
  { centre, scale, linear }: Pick<LogisticModel, 'centre' | 'scale' | 'linear'>,
): Float64Array {
  const transform = linear ? identity : signedLog;
  const out = new Float64Array(centre.length);
  for (let j = 0; j < centre.length; j++) out[j] = (transform(row[j]!) - centre[j]!) / scale[j]!;
  return out;
}

export function dot(w: number[], x: Float64Array): number {
  let s = w[0]!;
  for (let j = 0; j < x.length; j++) s += w[j + 1]! * x[j]!;
  return s;
}

export function sigmoid(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
}
