import type { Chart, Plugin } from 'chart.js';
import type { SnapshotRecord } from '../../../src/api';
import { STATUS_COLORS, snapshotLabel } from './snapshot-status';

/** One marker: a snapshot at its `takenAt`, and its part in the current selection. */
export interface SnapshotMarker {
  snapshot: SnapshotRecord;
  /** 'A' / 'B' of the comparison, or 'selected' (its type table is shown). */
  roles: ('selected' | 'A' | 'B')[];
}

/** Where a marker was drawn, in canvas pixels (for tests and for hit testing). */
export interface MarkerPosition {
  id: string;
  takenAt: number;
  status: SnapshotRecord['status'];
  x: number;
  top: number;
  bottom: number;
}

/** How close (px) a click must land to a marker's line to pick it. */
const HIT_PX = 6;
/** A press that moved further than this was a drag (zoom), not a click. */
const CLICK_SLOP_PX = 4;
const HEAD = 5;

/**
 * A chart.js plugin of our own that draws a vertical line at each snapshot's time (coloured by
 * status; refused and failed ones dashed with a hollow head) and reports clicks on them:
 * `onPick(id, shiftKey)`.
 */
export function createSnapshotMarkers(onPick: (id: string, shift: boolean) => void) {
  let markers: SnapshotMarker[] = [];
  const charts = new Set<Chart>();
  let pressX = Number.NaN;
  let pressY = Number.NaN;

  function positions(chart: Chart): MarkerPosition[] {
    const x = chart.scales.x;
    const area = chart.chartArea;
    if (!x || !area) return [];
    const out: MarkerPosition[] = [];
    for (const { snapshot } of markers) {
      if (snapshot.takenAt < x.min || snapshot.takenAt > x.max) continue;
      out.push({ id: snapshot.id, takenAt: snapshot.takenAt, status: snapshot.status, x: x.getPixelForValue(snapshot.takenAt), top: area.top, bottom: area.bottom });
    }
    return out;
  }

  function hit(chart: Chart, px: number, py: number): MarkerPosition | null {
    let best: MarkerPosition | null = null;
    for (const p of positions(chart)) {
      if (py < p.top - HEAD * 2 || py > p.bottom) continue;
      const d = Math.abs(p.x - px);
      if (d <= HIT_PX && (best === null || d < Math.abs(best.x - px))) best = p;
    }
    return best;
  }

  function draw(chart: Chart): void {
    const ctx = chart.ctx;
    const area = chart.chartArea;
    const byId = new Map(markers.map((m) => [m.snapshot.id, m]));
    ctx.save();
    ctx.beginPath();
    // Heads poke a little above the plot; clip to the canvas but not to the plot box.
    ctx.rect(area.left - HEAD, 0, area.right - area.left + HEAD * 2, area.bottom);
    ctx.clip();
    for (const p of positions(chart)) {
      const marker = byId.get(p.id)!;
      const color = STATUS_COLORS[p.status];
      const broken = p.status === 'refused' || p.status === 'failed';
      const picked = marker.roles.length > 0;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = picked ? 2.5 : 1.25;
      ctx.globalAlpha = picked ? 1 : 0.8;
      ctx.setLineDash(broken ? [3, 3] : p.status === 'ready' ? [] : [6, 3]);
      ctx.beginPath();
      ctx.moveTo(p.x, p.top);
      ctx.lineTo(p.x, p.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      // Head: a filled triangle pointing down; hollow diamond for snapshots without data.
      ctx.beginPath();
      if (broken) {
        ctx.moveTo(p.x, p.top - HEAD);
        ctx.lineTo(p.x + HEAD, p.top);
        ctx.lineTo(p.x, p.top + HEAD);
        ctx.lineTo(p.x - HEAD, p.top);
        ctx.closePath();
        ctx.fillStyle = '#ffffff';
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.stroke();
      } else {
        ctx.moveTo(p.x - HEAD, p.top);
        ctx.lineTo(p.x + HEAD, p.top);
        ctx.lineTo(p.x, p.top + HEAD * 1.6);
        ctx.closePath();
        ctx.fill();
      }
      const letters = marker.roles.filter((r) => r !== 'selected').join('');
      if (letters) {
        ctx.fillStyle = color;
        ctx.font = 'bold 11px system-ui, sans-serif';
        ctx.textBaseline = 'top';
        ctx.fillText(letters, p.x + HEAD + 2, p.top + 2);
      }
    }
    ctx.restore();
  }

  const plugin: Plugin<'line'> = {
    id: 'snapshotMarkers',
    afterInit(chart) {
      charts.add(chart as unknown as Chart);
      chart.canvas.addEventListener('pointerdown', (event) => {
        pressX = event.offsetX;
        pressY = event.offsetY;
      });
    },
    afterDestroy(chart) {
      charts.delete(chart as unknown as Chart);
    },
    afterDatasetsDraw(chart) {
      draw(chart as unknown as Chart);
    },
    afterEvent(chart, args) {
      const event = args.event;
      if (event.x === null || event.y === null) return;
      const found = hit(chart as unknown as Chart, event.x, event.y);
      if (event.type === 'mousemove') {
        chart.canvas.style.cursor = found ? 'pointer' : '';
        chart.canvas.title = found ? `snapshot ${snapshotLabel(markers.find((m) => m.snapshot.id === found.id)!.snapshot)}, ${found.status}: click to show its types, shift-click to compare with the shown one` : '';
        return;
      }
      if (event.type !== 'click' || !found) return;
      if (Math.hypot(event.x - pressX, event.y - pressY) > CLICK_SLOP_PX) return;
      const native = event.native as MouseEvent | null;
      onPick(found.id, native?.shiftKey ?? false);
    },
  };

  return {
    plugin,
    /** Replaces the markers and redraws the charts that show them. */
    set(next: SnapshotMarker[]): void {
      markers = next;
      for (const chart of charts) chart.draw();
    },
    positions,
  };
}

export type SnapshotMarkers = ReturnType<typeof createSnapshotMarkers>;
