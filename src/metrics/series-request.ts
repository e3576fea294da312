// What a forecast reads its series from: a metric CSV file, or the one series a query returns from
// any MetricSource (Prometheus, CloudWatch), with how its gaps and zone are read.

import type { MetricSource } from '../core/seams.js';

export interface SeriesReading {
  /** IANA zone of timestamps without an offset (CSV) and of the calendars' local times. */
  zone?: string;
  /** Longest run of missing points filled by interpolation; default 6. */
  maxGap?: number;
}

/** A series from a metric CSV file (the default, and what a request without `kind` means). */
export interface CsvSeriesRequest extends SeriesReading {
  kind?: 'csv';
  input: string;
  /** Series to forecast when the file holds several. */
  series?: string;
  sort?: boolean;
}

/** The one series a query returns from any MetricSource (Prometheus, CloudWatch, ...). */
export interface SourceSeriesRequest extends SeriesReading {
  kind: 'source';
  source: MetricSource;
  query: string;
  /** Epoch ms, both inclusive. */
  start: number;
  end: number;
  stepMs: number;
  /** Names the source and query in messages: `prometheus http://host:9090 query "up"`. */
  label: string;
}

export type SeriesRequest = CsvSeriesRequest | SourceSeriesRequest;
