// The forecast type every Forecaster returns: a point forecast with an interval at a level.
// Invariants (checked by tests): lower <= mean <= upper; all three have the horizon's length.

export interface Forecast {
  timestamps: number[];
  mean: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** Nominal coverage of [lower, upper], e.g. 0.8. */
  level: number;
}
