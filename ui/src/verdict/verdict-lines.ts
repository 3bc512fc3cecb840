import type { TrendResult } from '../../../src/api';
import { VERDICT_FLOOR_LINE, VERDICT_TREND_LINE } from '../charts/run-charts';
import type { Point, TimeChart } from '../charts/time-chart';

/** The heap-floor signal's fitted line as two points (none until the detector fitted one). */
export function trendPoints(result: TrendResult): Point[] {
  const line = result.signals.find((s) => s.signal === 'heap floor')?.line;
  if (!line) return [];
  return [
    { x: line.fromTs, y: line.fromValue },
    { x: line.toTs, y: line.toValue },
  ];
}

/**
 * Puts a verdict's heap floor and trend line into their datasets of the heap chart (found by
 * label, so the order of the other lines does not matter). The caller redraws.
 */
export function showVerdictLines(heap: TimeChart, result: TrendResult): void {
  for (const dataset of heap.data.datasets) {
    if (dataset.label === VERDICT_FLOOR_LINE.label) dataset.data = result.heapFloor.map((p) => ({ x: p.t, y: p.v }));
    if (dataset.label === VERDICT_TREND_LINE.label) dataset.data = trendPoints(result);
  }
}
