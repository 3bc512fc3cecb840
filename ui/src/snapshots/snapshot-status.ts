import type { SnapshotRecord, SnapshotStatus } from '../../../src/api';
import { el } from '../common/dom';
import { formatBytes, formatClock } from '../common/format';

/** Statuses that will still change (the list and the markers update live while any exist). */
const IN_FLIGHT: SnapshotStatus[] = ['capturing', 'uploading', 'analysing'];

export function isInFlight(snapshot: SnapshotRecord): boolean {
  return IN_FLIGHT.includes(snapshot.status);
}

/** One colour per status, shared by the badges' CSS classes and the chart markers. */
export const STATUS_COLORS: Record<SnapshotStatus, string> = {
  capturing: '#0891b2',
  uploading: '#0891b2',
  analysing: '#0891b2',
  ready: '#7c3aed',
  refused: '#d97706',
  failed: '#dc2626',
};

const STATUS_HELP: Record<SnapshotStatus, string> = {
  capturing: 'V8 is writing the snapshot inside the app',
  uploading: 'the probe is streaming the file to the collector',
  analysing: 'the collector is computing dominators and per-type sizes',
  ready: 'analysed; the per-type table and the raw file are available',
  refused: 'the probe declined: not enough memory headroom, or another snapshot was running',
  failed: 'capture, upload or analysis failed',
};

/** 0..1 when the progress has a known total, else null. */
export function progressFraction(snapshot: SnapshotRecord): number | null {
  const progress = snapshot.progress;
  if (!progress || progress.total <= 0) return null;
  return Math.max(0, Math.min(1, progress.done / progress.total));
}

/** "uploading 45 %", "analysing", "compressing 80 %"; '' for finished snapshots. */
export function progressText(snapshot: SnapshotRecord): string {
  if (!isInFlight(snapshot)) return '';
  const progress = snapshot.progress;
  if (!progress) return snapshot.status;
  const fraction = progressFraction(snapshot);
  if (fraction !== null) return `${progress.phase} ${Math.floor(fraction * 100)} %`;
  // Upload of a file whose size the probe does not know yet: bytes so far are still news.
  return progress.done > 0 && progress.phase === 'uploading' ? `${progress.phase} ${formatBytes(progress.done)}` : progress.phase;
}

/** The status badge with, while in flight, the phase and a progress bar. */
export function snapshotStatusCell(snapshot: SnapshotRecord): HTMLElement {
  const badge = el('span', { class: `snap-status snap-status-${snapshot.status}`, title: STATUS_HELP[snapshot.status] }, snapshot.status);
  if (!isInFlight(snapshot)) return badge;
  const fraction = progressFraction(snapshot);
  const bar = el('progress', { class: 'snap-progress', max: '1', value: fraction === null ? undefined : String(fraction) });
  return el('span', { class: 'snap-status-cell' }, badge, el('span', { class: 'snap-progress-text' }, progressText(snapshot)), bar);
}

/** "14:03:27 (manual)": how a snapshot is named in headings and on the chart. */
export function snapshotLabel(snapshot: SnapshotRecord): string {
  return `${formatClock(snapshot.takenAt)} (${snapshot.trigger})`;
}
