import type { SnapshotTypeRow, TypeDiffRow } from '../shared/snapshot-data';
import { formatBytes, formatBytesDelta, formatTable } from './text-format';

/** Per-type table of one snapshot, the `top` largest by retained size (0: all). */
export function formatTypeTable(rows: readonly SnapshotTypeRow[], top: number): string {
  const shown = top > 0 ? rows.slice(0, top) : rows;
  const body = shown.map((r) => [r.type.slice(0, 60), String(r.count), formatBytes(r.selfSize), formatBytes(r.retainedSize)]);
  const more = shown.length < rows.length ? `… ${rows.length - shown.length} more types (--top 0 shows all)\n` : '';
  return formatTable(['TYPE', 'COUNT', 'SELF', 'RETAINED'], body, new Set([1, 2, 3])) + more;
}

/** An id-matched count or size, "–" when the two snapshots could not be matched by id. */
function known(value: number | null, format: (n: number) => string): string {
  return value === null ? '–' : format(value);
}

/**
 * Per-type diff `b - a`, the `top` rows with the largest retained growth (0: all), with #new,
 * #deleted and the new objects' size as DevTools' Comparison view counts them ("–" when unknown).
 */
export function formatDiffTable(rows: readonly TypeDiffRow[], top: number): string {
  const shown = top > 0 ? rows.slice(0, top) : rows;
  const body = shown.map((r) => [
    r.type.slice(0, 60),
    `${r.countA} → ${r.countB}`,
    `${r.countDelta > 0 ? '+' : ''}${r.countDelta}`,
    known(r.newCount, String),
    known(r.deletedCount, String),
    known(r.newSize, formatBytes),
    formatBytesDelta(r.selfSizeDelta),
    formatBytesDelta(r.retainedSizeDelta),
  ]);
  const more = shown.length < rows.length ? `… ${rows.length - shown.length} more types (--top 0 shows all)\n` : '';
  return formatTable(['TYPE', 'COUNT A → B', 'ΔCOUNT', '#NEW', '#DELETED', 'NEW SIZE', 'ΔSELF', 'ΔRETAINED'], body, new Set([1, 2, 3, 4, 5, 6, 7])) + more;
}
