import { Chart, type ChartDataset, type Plugin, type Scale } from 'chart.js';
import { formatDateTime } from '../common/format';
import { byteTicks } from './byte-ticks';
import { formatTimeTick, pickTimeStep, timeTicks } from './time-ticks';

/** One plotted point: x is epoch ms, y the value. */
export interface Point {
  x: number;
  y: number;
}

export type TimeChart = Chart<'line', Point[]>;

export interface LineSpec {
  label: string;
  color: string;
  /** Hidden until the user clicks its legend entry. */
  hidden?: boolean;
  /** Draw only the points (for sparse events such as the heap after a major GC). */
  pointsOnly?: boolean;
  /** A light filled area drawn behind the other lines. */
  area?: boolean;
  /** A dashed line (a fitted trend rather than measured values). */
  dashed?: boolean;
}

export interface TimeChartOptions {
  canvas: HTMLCanvasElement;
  lines: LineSpec[];
  /** Formats y values on the axis and in tooltips. */
  formatY(value: number): string;
  /** Byte axes get ticks at binary-unit steps (see byte-ticks.ts). */
  bytes?: boolean;
  /** Stacked areas (V8 heap spaces). */
  stacked?: boolean;
  /** The user dragged a range on the x axis. */
  onZoom(from: number, to: number): void;
  /** Chart-local plugins (e.g. the snapshot markers of the heap chart). */
  plugins?: Plugin<'line'>[];
}

/** A dataset for `spec`, styled consistently across charts. */
export function lineDataset(spec: LineSpec, index: number, stacked: boolean): ChartDataset<'line', Point[]> {
  return {
    label: spec.label,
    data: [],
    borderColor: spec.color,
    backgroundColor: stacked ? `${spec.color}99` : spec.area ? `${spec.color}55` : spec.color,
    borderWidth: stacked || spec.area ? 1 : 1.5,
    pointRadius: spec.pointsOnly ? 2.5 : 0,
    pointHoverRadius: 4,
    pointHitRadius: 6,
    showLine: !spec.pointsOnly,
    borderDash: spec.dashed ? [6, 4] : [],
    hidden: spec.hidden ?? false,
    fill: stacked ? (index === 0 ? 'origin' : '-1') : spec.area ? 'origin' : false,
    // chart.js draws lower `order` on top; areas go to the back.
    order: spec.area ? 1 : 0,
    tension: 0,
    spanGaps: false,
  };
}

/**
 * A line chart on a LINEAR x axis of epoch ms, labelled in local time through our own tick
 * generator (no date adapter), with drag-to-zoom on x only.
 */
export function createTimeChart(options: TimeChartOptions): TimeChart {
  const stacked = options.stacked ?? false;
  let tickStep = 60_000;
  // Data limits as chart.js found them (before our tick rounding), so repeated layout passes
  // round the same numbers and the axis cannot creep upwards.
  let dataMin = 0;
  let dataMax = 1;
  return new Chart<'line', Point[]>(options.canvas, {
    type: 'line',
    data: { datasets: options.lines.map((spec, i) => lineDataset(spec, i, stacked)) },
    plugins: options.plugins ?? [],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      layout: { padding: { right: 8 } },
      scales: {
        x: {
          type: 'linear',
          grid: { display: false },
          afterBuildTicks(scale: Scale) {
            const maxTicks = Math.max(2, Math.floor(scale.width / 90));
            tickStep = pickTimeStep(scale.min, scale.max, maxTicks);
            scale.ticks = timeTicks(scale.min, scale.max, tickStep).map((value) => ({ value }));
          },
          ticks: {
            autoSkip: false,
            maxRotation: 0,
            callback: (value) => formatTimeTick(Number(value), tickStep),
          },
        },
        y: {
          type: 'linear',
          beginAtZero: true,
          stacked,
          bounds: options.bytes ? 'data' : 'ticks',
          afterDataLimits(scale: Scale) {
            dataMin = scale.min;
            dataMax = scale.max;
          },
          afterBuildTicks(scale: Scale) {
            if (!options.bytes) return;
            const { min, max, ticks } = byteTicks(dataMin, dataMax, 5);
            scale.min = min;
            scale.max = max;
            scale.ticks = ticks.map((value) => ({ value }));
          },
          ticks: { maxTicksLimit: 6, callback: (value) => options.formatY(Number(value)) },
        },
      },
      plugins: {
        legend: {
          position: 'bottom',
          labels: {
            boxWidth: 12,
            boxHeight: 12,
            padding: 14,
            // Stacked spaces: V8 reports several spaces that stay empty; keep them out of the legend.
            filter: (item, data) => !stacked || (data.datasets[item.datasetIndex ?? 0]?.data as Point[]).some((p) => p.y > 0),
          },
        },
        tooltip: {
          callbacks: {
            title: (items) => (items.length > 0 ? formatDateTime(items[0].parsed.x ?? Number.NaN) : ''),
            label: (item) => `${item.dataset.label}: ${options.formatY(item.parsed.y ?? Number.NaN)}`,
          },
        },
        zoom: {
          zoom: {
            mode: 'x',
            wheel: { enabled: false },
            pinch: { enabled: false },
            drag: { enabled: true, threshold: 8, backgroundColor: 'rgba(37, 99, 235, 0.12)', borderColor: 'rgba(37, 99, 235, 0.6)', borderWidth: 1 },
            onZoomComplete: ({ chart }) => {
              const x = chart.scales.x;
              options.onZoom(Math.floor(x.min), Math.ceil(x.max));
            },
          },
        },
      },
    },
  });
}
