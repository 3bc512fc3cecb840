import type { GcEvent, GcResult, LiveBatchMessage, Sample, SeriesResult, SpaceSample, SpacesResult } from '../../../src/api';
import { EVENT_LOOP_LINES, GC_LINES, HEAP_LINES, MEMORY_LINES, spaceColor, VERDICT_FLOOR_LINE, VERDICT_TREND_LINE, type Aggregate, type MetricLine, type RunChartSet } from './run-charts';
import { lineDataset, type Point, type TimeChart } from './time-chart';

/** The newest bucket of a chart: where live rows merge until a new bucket starts. */
interface BucketCursor {
  x: number;
  /** Rows merged into it so far (for running averages). */
  n: number;
}

type Merge = Aggregate | 'sum';

/** V8's spaces in a natural stacking order (young at the bottom); unknown ones follow by name. */
const SPACE_ORDER = ['new_space', 'old_space', 'code_space', 'shared_space', 'trusted_space', 'large_object_space', 'new_large_object_space', 'code_large_object_space', 'shared_large_object_space', 'trusted_large_object_space', 'read_only_space'];

function spaceRank(name: string): number {
  const i = SPACE_ORDER.indexOf(name);
  return i === -1 ? SPACE_ORDER.length : i;
}

function bySpaceOrder(a: string, b: string): number {
  return spaceRank(a) - spaceRank(b) || a.localeCompare(b);
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function merge(kind: Merge, previous: number, value: number, n: number): number {
  if (kind === 'max') return Math.max(previous, value);
  if (kind === 'sum') return previous + value;
  return (previous * n + value) / (n + 1);
}

/**
 * Adds one row of values (one per dataset) at time `ts`: into the cursor's bucket while `ts`
 * falls inside it, else as a new bucket aligned to the fetched buckets. Points are replaced
 * with pop()+push(), which chart.js tracks (mutating a point in place would not be re-parsed).
 */
function addRow(datasets: Point[][], merges: Merge[], cursor: BucketCursor | null, stepMs: number, ts: number, values: number[]): BucketCursor {
  const inBucket = cursor !== null && ts < cursor.x + stepMs && datasets.every((d) => d.length > 0 && d[d.length - 1].x === cursor.x);
  if (inBucket) {
    datasets.forEach((data, i) => {
      const last = data.pop()!;
      data.push({ x: cursor.x, y: merge(merges[i], last.y, values[i], cursor.n) });
    });
    return { x: cursor.x, n: cursor.n + 1 };
  }
  const x = cursor !== null && ts >= cursor.x ? cursor.x + Math.floor((ts - cursor.x) / stepMs) * stepMs : ts;
  datasets.forEach((data, i) => data.push({ x, y: values[i] }));
  return { x, n: 1 };
}

function seriesPoints(result: SeriesResult, line: MetricLine): Point[] {
  const series = result.series[line.metric];
  if (!series) return [];
  const values = series[line.agg];
  return result.t.map((x, i) => ({ x: num(x), y: num(values[i]) }));
}

function datasetsOf(chart: TimeChart, count = chart.data.datasets.length): Point[][] {
  return chart.data.datasets.slice(0, count).map((d) => d.data);
}

/**
 * Turns API range results and live batches into chart points. Live rows already covered by the
 * last fetch (ts <= its `to`) are skipped, so a push racing a fetch is never drawn twice.
 */
export function createChartFeeder(charts: RunChartSet, intervalMs: number) {
  const seriesCharts: [TimeChart, MetricLine[]][] = [
    [charts.heap, HEAP_LINES],
    [charts.memory, MEMORY_LINES],
    [charts.eventLoop, EVENT_LOOP_LINES],
  ];
  const heapFloorIndex = HEAP_LINES.length;
  // After the floor dots come the verdict's two lines, then the measured floor (run-charts.ts).
  const measuredFloorIndex = HEAP_LINES.length + 3;
  let stepMs = 1000;
  let seriesTo = -Infinity;
  let spacesTo = -Infinity;
  let gcTo = -Infinity;
  let seriesCursor: BucketCursor | null = null;
  let spacesCursor: BucketCursor | null = null;
  let gcCursor: BucketCursor | null = null;
  let latestTs: number | null = null;

  /** How many rows a fetched bucket already averaged, guessed from the sampling interval. */
  function fetchedRows(bucketStart: number, to: number): number {
    const perBucket = Math.max(1, Math.round(stepMs / Math.max(1, intervalMs)));
    return Math.min(perBucket, Math.max(1, Math.round((to - bucketStart) / Math.max(1, intervalMs)) + 1));
  }

  function spaceIndex(name: string): number {
    const datasets = charts.spaces.data.datasets;
    let i = datasets.findIndex((d) => d.label === name);
    if (i !== -1) return i;
    // A space seen for the first time: zero-filled at the existing x values so the stack stays aligned.
    i = datasets.length;
    const dataset = lineDataset({ label: name, color: spaceColor(i) }, i, true);
    dataset.data = (datasets[0]?.data ?? []).map((p) => ({ x: p.x, y: 0 }));
    datasets.push(dataset);
    return i;
  }

  function loadSpaces(result: SpacesResult): void {
    const names = Object.keys(result.spaces).sort(bySpaceOrder);
    // Keep existing dataset objects (and the user's legend choices); only their data changes.
    for (const dataset of charts.spaces.data.datasets) dataset.data = [];
    for (const name of names) spaceIndex(name);
    for (const dataset of charts.spaces.data.datasets) {
      const values = result.spaces[dataset.label ?? ''];
      dataset.data = result.t.map((x, i) => ({ x: num(x), y: values ? num(values[i]) : 0 }));
    }
    const last = result.t.length - 1;
    spacesCursor = last >= 0 ? { x: num(result.t[last]), n: fetchedRows(num(result.t[last]), result.to) } : null;
    spacesTo = result.to;
  }

  function loadGc(result: GcResult): void {
    charts.gc.data.datasets[0].data = result.t.map((x, i) => ({ x: num(x), y: num(result.maxMs[i]) }));
    charts.gc.data.datasets[1].data = result.t.map((x, i) => ({ x: num(x), y: num(result.totalMs[i]) }));
    const floor: Point[] = [];
    const measured: Point[] = [];
    result.t.forEach((x, i) => {
      // A bucket with a measured point shows that one (exact); else V8's own lowest after a major GC.
      const m = result.measuredFloor?.[i];
      const y = result.floor[i];
      if (m !== null && m !== undefined) measured.push({ x: num(x), y: num(m) });
      else if (y !== null && y !== undefined) floor.push({ x: num(x), y: num(y) });
    });
    charts.heap.data.datasets[heapFloorIndex].data = floor;
    charts.heap.data.datasets[measuredFloorIndex].data = measured;
    const last = result.t.length - 1;
    gcCursor = last >= 0 ? { x: num(result.t[last]), n: 1 } : null;
    gcTo = result.to;
  }

  function appendSamples(samples: Sample[]): void {
    for (const sample of [...samples].sort((a, b) => a.ts - b.ts)) {
      if (sample.ts <= seriesTo) continue;
      let cursor: BucketCursor | null = seriesCursor;
      for (const [chart, lines] of seriesCharts) {
        cursor = addRow(datasetsOf(chart, lines.length), lines.map((l) => l.agg), seriesCursor, stepMs, sample.ts, lines.map((l) => num(sample[l.metric])));
      }
      seriesCursor = cursor;
      latestTs = Math.max(latestTs ?? sample.ts, sample.ts);
    }
  }

  function appendSpaces(rows: SpaceSample[]): void {
    const byTs = new Map<number, Map<string, number>>();
    for (const row of rows) {
      if (row.ts <= spacesTo) continue;
      let used = byTs.get(row.ts);
      if (!used) byTs.set(row.ts, (used = new Map()));
      used.set(row.space, num(row.used));
    }
    for (const ts of [...byTs.keys()].sort((a, b) => a - b)) {
      const used = byTs.get(ts)!;
      for (const name of [...used.keys()].sort(bySpaceOrder)) spaceIndex(name);
      const datasets = charts.spaces.data.datasets;
      spacesCursor = addRow(datasetsOf(charts.spaces), datasets.map(() => 'avg'), spacesCursor, stepMs, ts, datasets.map((d) => used.get(d.label ?? '') ?? 0));
    }
  }

  function appendGcs(events: GcEvent[]): void {
    const floor = charts.heap.data.datasets[heapFloorIndex].data;
    const measured = charts.heap.data.datasets[measuredFloorIndex].data;
    for (const gc of [...events].sort((a, b) => a.ts - b.ts)) {
      if (gc.ts <= gcTo) continue;
      gcCursor = addRow(datasetsOf(charts.gc, GC_LINES.length), ['max', 'sum'], gcCursor, stepMs, gc.ts, [num(gc.durationMs), num(gc.durationMs)]);
      if (gc.heapUsedAfter !== null && gc.heapUsedAfter !== undefined) (gc.measured ? measured : floor).push({ x: gc.ts, y: num(gc.heapUsedAfter) });
    }
  }

  return {
    /** Replaces all chart data with fetched results (one range, one bucket size). */
    load(series: SeriesResult, spaces: SpacesResult, gc: GcResult): void {
      stepMs = Math.max(1, num(series.stepMs) || 1);
      for (const [chart, lines] of seriesCharts) lines.forEach((line, i) => (chart.data.datasets[i].data = seriesPoints(series, line)));
      const last = series.t.length - 1;
      seriesCursor = last >= 0 ? { x: num(series.t[last]), n: fetchedRows(num(series.t[last]), series.to) } : null;
      seriesTo = series.to;
      latestTs = last >= 0 ? series.to : null;
      loadSpaces(spaces);
      loadGc(gc);
    },
    /** Adds a live batch; returns the newest sample time seen so far. */
    append(batch: LiveBatchMessage): number | null {
      appendSamples(batch.samples ?? []);
      appendSpaces(batch.spaces ?? []);
      appendGcs(batch.gcs ?? []);
      return latestTs;
    },
    /** Drops points left of `minX` (keeping the bucket that straddles it). */
    trimBefore(minX: number): void {
      const limit = minX - stepMs;
      for (const chart of Object.values(charts) as TimeChart[]) {
        for (const dataset of chart.data.datasets) {
          // The verdict's lines come whole from each verdict (a trimmed trend would lose its start).
          if (dataset.label === VERDICT_FLOOR_LINE.label || dataset.label === VERDICT_TREND_LINE.label) continue;
          const data = dataset.data;
          let k = 0;
          while (k < data.length && data[k].x < limit) k++;
          if (k > 0) data.splice(0, k);
        }
      }
    },
    /** Buckets currently drawn on the heap chart. */
    pointCount(): number {
      return charts.heap.data.datasets[0].data.length;
    },
    latest(): number | null {
      return latestTs;
    },
  };
}

export type ChartFeeder = ReturnType<typeof createChartFeeder>;
