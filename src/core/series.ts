// Plain data that crosses every seam: a time series and what was repaired while reading it.
// Timestamps are epoch milliseconds (UTC); values are a Float64Array of the same length.

export interface Series {
  name: string;
  timestamps: number[];
  values: Float64Array;
  /** Sampling step in milliseconds, detected from the data. */
  stepMs: number;
}

/** What a reader changed so the series could be trusted; reported to the user, never silent. */
export interface Repair {
  series: string;
  kind: 'gap-interpolated' | 'duplicate-dropped';
  /** First timestamp affected (ms) and how many points were filled or dropped. */
  at: number;
  count: number;
}

export interface SeriesSet {
  series: Series[];
  repairs: Repair[];
}
