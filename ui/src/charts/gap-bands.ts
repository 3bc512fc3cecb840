import type { Chart, Plugin } from 'chart.js';
import type { RunGap } from '../../../src/api';
import { formatCount, formatDateTime } from '../common/format';

/** Where a gap was drawn on one chart, in canvas pixels (for tests). */
export interface GapPosition {
  fromTs: number;
  toTs: number;
  left: number;
  right: number;
  label: string;
}

/** Narrower bands would vanish between two pixels: a lost stretch is always visible. */
const MIN_BAND_PX = 4;
export const GAP_FILL = 'rgba(220, 38, 38, 0.14)';
const GAP_EDGE = 'rgba(220, 38, 38, 0.55)';
const GAP_TEXT = '#b91c1c';

export function gapLabel(gap: RunGap): string {
  return `${formatCount(gap.droppedSamples)} ${gap.droppedSamples === 1 ? 'sample' : 'samples'} lost`;
}

/**
 * A chart.js plugin of our own that shades, on every chart it is given to, the stretches whose
 * samples a probe had to drop (its buffer was full while the collector was away), labelled
 * "N samples lost": the line across them is drawn from the samples on either side, not measured.
 * A band spans the dropped samples' times, half an interval wider on each side.
 */
export function createGapBands() {
  let gaps: RunGap[] = [];
  let halfIntervalMs = 500;
  const charts = new Set<Chart>();

  function positions(chart: Chart): GapPosition[] {
    const x = chart.scales.x;
    const area = chart.chartArea;
    if (!x || !area) return [];
    const out: GapPosition[] = [];
    for (const gap of gaps) {
      const from = gap.fromTs - halfIntervalMs;
      const to = gap.toTs + halfIntervalMs;
      if (to < x.min || from > x.max) continue;
      let left = Math.max(area.left, x.getPixelForValue(from));
      let right = Math.min(area.right, x.getPixelForValue(to));
      if (right - left < MIN_BAND_PX) {
        const mid = (left + right) / 2;
        left = Math.max(area.left, mid - MIN_BAND_PX / 2);
        right = Math.min(area.right, mid + MIN_BAND_PX / 2);
      }
      out.push({ fromTs: gap.fromTs, toTs: gap.toTs, left, right, label: gapLabel(gap) });
    }
    return out;
  }

  function drawBands(chart: Chart): void {
    const ctx = chart.ctx;
    const area = chart.chartArea;
    ctx.save();
    for (const p of positions(chart)) {
      ctx.fillStyle = GAP_FILL;
      ctx.fillRect(p.left, area.top, p.right - p.left, area.bottom - area.top);
      ctx.strokeStyle = GAP_EDGE;
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(p.left, area.top);
      ctx.lineTo(p.left, area.bottom);
      ctx.moveTo(p.right, area.top);
      ctx.lineTo(p.right, area.bottom);
      ctx.stroke();
    }
    ctx.restore();
  }

  /** Labels go over the lines, on a light backing, so a line through them cannot hide them. */
  function drawLabels(chart: Chart): void {
    const ctx = chart.ctx;
    const area = chart.chartArea;
    ctx.save();
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    for (const p of positions(chart)) {
      // Inside the band when it fits, else just right of it (kept inside the plot).
      const width = ctx.measureText(p.label).width;
      const x = p.right - p.left >= width + 6 ? p.left + 3 : Math.min(p.right + 3, area.right - width);
      ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
      ctx.fillRect(x - 2, area.top + 2, width + 4, 14);
      ctx.fillStyle = GAP_TEXT;
      ctx.fillText(p.label, x, area.top + 3);
    }
    ctx.restore();
  }

  const plugin: Plugin<'line'> = {
    id: 'gapBands',
    afterInit(chart) {
      charts.add(chart as unknown as Chart);
    },
    afterDestroy(chart) {
      charts.delete(chart as unknown as Chart);
    },
    // Behind the lines: the band says "not measured here", the lines stay readable on top.
    beforeDatasetsDraw(chart) {
      drawBands(chart as unknown as Chart);
    },
    afterDatasetsDraw(chart) {
      drawLabels(chart as unknown as Chart);
    },
    afterEvent(chart, args) {
      const event = args.event;
      if (event.type !== 'mousemove' || event.x === null) return;
      const hit = positions(chart as unknown as Chart).find((p) => event.x! >= p.left && event.x! <= p.right);
      if (hit) chart.canvas.title = `${hit.label} (${formatDateTime(hit.fromTs)} to ${formatDateTime(hit.toTs)}): the probe's buffer was full while the collector was away`;
      else if (chart.canvas.title.includes('samples lost') || chart.canvas.title.includes('sample lost')) chart.canvas.title = '';
    },
  };

  return {
    plugin,
    /** Replaces the gaps (with the run's sampling interval) and redraws. */
    set(next: RunGap[], intervalMs: number): void {
      gaps = next;
      halfIntervalMs = intervalMs / 2;
      for (const chart of charts) chart.draw();
    },
    count: () => gaps.length,
    positions,
  };
}

export type GapBands = ReturnType<typeof createGapBands>;
