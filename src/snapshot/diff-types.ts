import type { SnapshotTypeRow, TypeDiffRow } from '../shared/snapshot-data';

/**
 * Per-type difference `b - a` over the union of both snapshots' types (a type missing on one
 * side counts as zero there). Largest retained-size growth first, then largest count growth.
 */
export function diffTypeRows(a: readonly SnapshotTypeRow[], b: readonly SnapshotTypeRow[]): TypeDiffRow[] {
  const zero = { count: 0, selfSize: 0, retainedSize: 0 };
  const before = new Map(a.map((row) => [row.type, row]));
  const after = new Map(b.map((row) => [row.type, row]));
  const types = new Set([...before.keys(), ...after.keys()]);
  const rows: TypeDiffRow[] = [];
  for (const type of types) {
    const x = before.get(type) ?? zero;
    const y = after.get(type) ?? zero;
    rows.push({
      type,
      countA: x.count,
      countB: y.count,
      countDelta: y.count - x.count,
      selfSizeA: x.selfSize,
      selfSizeB: y.selfSize,
      selfSizeDelta: y.selfSize - x.selfSize,
      retainedSizeA: x.retainedSize,
      retainedSizeB: y.retainedSize,
      retainedSizeDelta: y.retainedSize - x.retainedSize,
    });
  }
  rows.sort((p, q) => q.retainedSizeDelta - p.retainedSizeDelta || q.countDelta - p.countDelta || (p.type < q.type ? -1 : p.type > q.type ? 1 : 0));
  return rows;
}
