import type { Plugin } from 'chart.js';
import type { MetricName } from '../../../src/api';
import { el } from '../common/dom';
import { formatBytes, formatMs } from '../common/format';
import { createTimeChart, type LineSpec, type TimeChart } from './time-chart';

/** How a bucket of several samples becomes one plotted value. */
export type Aggregate = 'avg' | 'max';

/** A chart line fed from `/series` and from live samples. */
export interface MetricLine extends LineSpec {
  metric: MetricName;
  agg: Aggregate;
}

export const HEAP_LINES: MetricLine[] = [
  { label: 'heap used', metric: 'heapUsed', agg: 'avg', color: '#2563eb' },
  { label: 'heap total', metric: 'heapTotal', agg: 'avg', color: '#7dd3fc' },
  { label: 'heap limit', metric: 'heapLimit', agg: 'avg', color: '#ef4444', hidden: true },
];
/** Extra heap line, after HEAP_LINES: heap used right after each major GC (the leak signal). */
export const HEAP_FLOOR_LINE: LineSpec = { label: 'used after major GC', color: '#f59e0b', pointsOnly: true };

/**
 * The leak verdict's lines, after HEAP_FLOOR_LINE: the heap floor it judged (per-window minima
 * after the warm-up) and the Theil-Sen line fitted to that floor. Fed by verdict-lines.ts.
 */
export const VERDICT_FLOOR_LINE: LineSpec = { label: 'heap floor (verdict)', color: '#92400e' };
export const VERDICT_TREND_LINE: LineSpec = { label: 'floor trend', color: '#dc2626', dashed: true };
/**
 * Last heap line: heap used right after the full GCs the probe asked for to measure the floor
 * (soak mode, probe floor-meter.ts), apart from V8's own so the user sees which points are exact.
 */
export const MEASURED_FLOOR_LINE: LineSpec = { label: "measured floor (probe's full GC)", color: '#16a34a', pointsOnly: true };

export const MEMORY_LINES: MetricLine[] = [
  { label: 'rss', metric: 'rss', agg: 'avg', color: '#7c3aed' },
  { label: 'external', metric: 'external', agg: 'avg', color: '#059669' },
  { label: 'array buffers', metric: 'arrayBuffers', agg: 'avg', color: '#d97706' },
];

export const EVENT_LOOP_LINES: MetricLine[] = [
  { label: 'p50', metric: 'elP50Ms', agg: 'avg', color: '#0ea5e9' },
  { label: 'p99', metric: 'elP99Ms', agg: 'avg', color: '#f97316' },
  { label: 'max', metric: 'elMaxMs', agg: 'max', color: '#dc2626' },
];

/** GC chart lines, in this order: longest pause (a line), summed pauses per bucket (an area behind it). */
export const GC_LINES: LineSpec[] = [
  { label: 'longest pause', color: '#dc2626' },
  { label: 'total pause', color: '#818cf8', area: true },
];

/** Every metric the run page asks `/series` for. */
export const SERIES_METRICS: MetricName[] = [...HEAP_LINES, ...MEMORY_LINES, ...EVENT_LOOP_LINES].map((line) => line.metric);

const SPACE_COLORS = ['#2563eb', '#10b981', '#f59e0b', '#8b5cf6', '#ef4444', '#06b6d4', '#84cc16', '#ec4899', '#64748b', '#a16207'];

/** A stable color per V8 heap space, so `old_space` keeps its color across reloads. */
export function spaceColor(index: number): string {
  return SPACE_COLORS[index % SPACE_COLORS.length];
}

export interface RunChartSet {
  heap: TimeChart;
  memory: TimeChart;
  spaces: TimeChart;
  gc: TimeChart;
  eventLoop: TimeChart;
}

interface CardSpec {
  key: keyof RunChartSet;
  title: string;
  hint: string;
}

const CARDS: CardSpec[] = [
  { key: 'heap', title: 'V8 heap', hint: "used, total and limit; orange dots: heap used after V8's major GCs, green dots: after the probe's own full GCs (measured floor); brown: the heap floor the verdict judged, dashed: its trend; vertical lines: snapshots (click one); red bands: samples lost" },
  { key: 'memory', title: 'Process memory', hint: 'resident set, external and array buffers' },
  { key: 'spaces', title: 'Heap spaces', hint: 'bytes used per V8 space, stacked' },
  { key: 'gc', title: 'GC pauses', hint: 'longest and summed pause per interval' },
  { key: 'eventLoop', title: 'Event-loop delay', hint: 'p50, p99 and max per interval' },
];

function card(spec: CardSpec): { node: HTMLElement; canvas: HTMLCanvasElement; empty: HTMLElement } {
  const canvas = el('canvas', { 'aria-label': `${spec.title} chart`, role: 'img' });
  const empty = el('div', { class: 'chart-empty', hidden: '' }, 'no data in this range');
  const node = el(
    'section',
    { class: 'chart-card', 'data-chart': spec.key },
    el('header', {}, el('h2', {}, spec.title), el('p', { class: 'hint' }, spec.hint)),
    el('div', { class: 'chart-box' }, canvas, empty),
  );
  return { node, canvas, empty };
}

/**
 * The five charts of the run page, created empty into `host`. `onZoom` fires when the user drags
 * a time range on any of them; `heapPlugins` draw on the heap chart only (snapshot markers),
 * `allPlugins` on every chart (the gaps where samples were lost).
 */
export function createRunCharts(host: HTMLElement, onZoom: (from: number, to: number) => void, heapPlugins: Plugin<'line'>[] = [], allPlugins: Plugin<'line'>[] = []) {
  const canvases = {} as Record<keyof RunChartSet, HTMLCanvasElement>;
  const empties = {} as Record<keyof RunChartSet, HTMLElement>;
  for (const spec of CARDS) {
    const { node, canvas, empty } = card(spec);
    host.append(node);
    canvases[spec.key] = canvas;
    empties[spec.key] = empty;
  }
  const charts: RunChartSet = {
    heap: createTimeChart({ canvas: canvases.heap, lines: [...HEAP_LINES, HEAP_FLOOR_LINE, VERDICT_FLOOR_LINE, VERDICT_TREND_LINE, MEASURED_FLOOR_LINE], formatY: formatBytes, bytes: true, onZoom, plugins: [...allPlugins, ...heapPlugins] }),
    memory: createTimeChart({ canvas: canvases.memory, lines: MEMORY_LINES, formatY: formatBytes, bytes: true, onZoom, plugins: allPlugins }),
    spaces: createTimeChart({ canvas: canvases.spaces, lines: [], formatY: formatBytes, bytes: true, stacked: true, onZoom, plugins: allPlugins }),
    gc: createTimeChart({ canvas: canvases.gc, lines: GC_LINES, formatY: formatMs, onZoom, plugins: allPlugins }),
    eventLoop: createTimeChart({ canvas: canvases.eventLoop, lines: EVENT_LOOP_LINES, formatY: formatMs, onZoom, plugins: allPlugins }),
  };
  const all = Object.values(charts) as TimeChart[];

  /** Says so in words when a chart has nothing to draw (an empty grid looks broken). */
  function markEmpty(): void {
    for (const key of Object.keys(charts) as (keyof RunChartSet)[]) {
      empties[key].hidden = charts[key].data.datasets.some((d) => d.data.length > 0);
    }
  }

  return {
    charts,
    /** Shows [min, max] on every chart (undefined: fit the data). */
    setXRange(min: number | undefined, max: number | undefined): void {
      for (const chart of all) {
        const x = chart.options.scales!.x!;
        x.min = min;
        x.max = max;
        chart.update('none');
      }
      markEmpty();
    },
    /** Redraws every chart after their data changed. */
    update(): void {
      for (const chart of all) chart.update('none');
      markEmpty();
    },
    /** Plot width in pixels: how many points are worth fetching. */
    plotWidth(): number {
      const area = charts.heap.chartArea;
      const width = area ? area.right - area.left : charts.heap.width;
      return Math.max(50, Math.round(width || 600));
    },
  };
}

export type RunCharts = ReturnType<typeof createRunCharts>;
