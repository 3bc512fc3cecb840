/**
 * The downsampled series the store computes in ClickHouse and the HTTP API sends as they are
 * (`/series`, `/spaces`, `/gc`; docs/api.md): shared, so the store, the API contract and the UI
 * read one definition. Times are epoch milliseconds; sizes are bytes.
 */
import type { Sample } from './run-data';

/** A metric name of the series API: any numeric Sample field. */
export type MetricName = Exclude<keyof Sample, 'ts'>;

export interface SeriesResult {
  from: number;
  to: number;
  stepMs: number;
  /** Bucket start times; only buckets that hold data are returned. */
  t: number[];
  series: Partial<Record<MetricName, { min: number[]; max: number[]; avg: number[] }>>;
}

export interface SpacesResult {
  from: number;
  to: number;
  stepMs: number;
  t: number[];
  /** Average `used` bytes per space per bucket, aligned with `t` (0 where a space had no row). */
  spaces: Record<string, number[]>;
}

export interface GcResult {
  from: number;
  to: number;
  stepMs: number;
  t: number[];
  count: number[];
  totalMs: number[];
  maxMs: number[];
  majorCount: number[];
  /** Lowest heap used after a major GC in the bucket (null where the bucket had no major GC). */
  floor: (number | null)[];
  /** Lowest heap used after a measured full GC of the probe's (floor-meter.ts) in the bucket, else null. */
  measuredFloor: (number | null)[];
  totals: { count: number; totalMs: number; maxMs: number };
}
