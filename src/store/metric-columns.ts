import { LeakwatchError } from '../shared/errors';
import type { Sample } from '../shared/run-data';
import type { MetricName } from './store-interface';

/** How a metric is stored: whole bytes / counts as integers, event-loop delays as floats. */
export type MetricKind = 'bytes' | 'count' | 'ms';

export interface MetricColumn {
  column: string;
  kind: MetricKind;
}

/**
 * The only source of metric column names in SQL text. Requested metric names are looked up here,
 * so a name a client made up can never reach a query.
 */
export const METRIC_COLUMNS: Readonly<Record<MetricName, MetricColumn>> = {
  rss: { column: 'rss', kind: 'bytes' },
  heapTotal: { column: 'heap_total', kind: 'bytes' },
  heapUsed: { column: 'heap_used', kind: 'bytes' },
  external: { column: 'external', kind: 'bytes' },
  arrayBuffers: { column: 'array_buffers', kind: 'bytes' },
  heapLimit: { column: 'heap_limit', kind: 'bytes' },
  totalAvailable: { column: 'total_available', kind: 'bytes' },
  mallocedMemory: { column: 'malloced_memory', kind: 'bytes' },
  peakMallocedMemory: { column: 'peak_malloced_memory', kind: 'bytes' },
  nativeContexts: { column: 'native_contexts', kind: 'count' },
  detachedContexts: { column: 'detached_contexts', kind: 'count' },
  elP50Ms: { column: 'el_p50_ms', kind: 'ms' },
  elP99Ms: { column: 'el_p99_ms', kind: 'ms' },
  elMaxMs: { column: 'el_max_ms', kind: 'ms' },
};

export const METRIC_NAMES = Object.keys(METRIC_COLUMNS) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.prototype.hasOwnProperty.call(METRIC_COLUMNS, name);
}

/** Checks and de-duplicates requested metrics, keeping their order. */
export function resolveMetrics(names: readonly string[]): MetricName[] {
  if (names.length === 0) throw new LeakwatchError('LW_ERR_BAD_REQUEST', `no metric requested (known: ${METRIC_NAMES.join(', ')})`);
  const out: MetricName[] = [];
  for (const name of names) {
    if (!isMetricName(name)) {
      throw new LeakwatchError('LW_ERR_BAD_REQUEST', `unknown metric ${JSON.stringify(String(name)).slice(0, 60)} (known: ${METRIC_NAMES.join(', ')})`);
    }
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** Integer columns get integers: a fractional byte count would be rejected by a UInt64 column. */
export function storedMetricValue(sample: Sample, name: MetricName): number {
  const value = sample[name];
  return METRIC_COLUMNS[name].kind === 'ms' ? value : Math.round(value);
}
