import type { NodeIdDiff, SnapshotTypeRow, TypeDiffRow } from '../shared/snapshot-data';

const NO_CHANGE: NodeIdDiff = { newCount: 0, deletedCount: 0, newSize: 0, deletedSize: 0 };

/**
 * Per-type difference `b - a` over the union of both snapshots' types (a type missing on one
 * side counts as zero there). Largest retained-size growth first, then largest count growth.
 * `byId` is the id-matched part (node-index-diff.ts), null when the two snapshots cannot be
 * matched by id: the rows' newCount, deletedCount, newSize and deletedSize are then null.
 */
export function diffTypeRows(a: readonly SnapshotTypeRow[], b: readonly SnapshotTypeRow[], byId: ReadonlyMap<string, NodeIdDiff> | null = null): TypeDiffRow[] {
  const zero = { count: 0, selfSize: 0, retainedSize: 0 };
  const before = new Map(a.map((row) => [row.type, row]));
  const after = new Map(b.map((row) => [row.type, row]));
  const types = new Set([...before.keys(), ...after.keys()]);
  const rows: TypeDiffRow[] = [];
  for (const type of types) {
    const x = before.get(type) ?? zero;
    const y = after.get(type) ?? zero;
    const ids = byId ? (byId.get(type) ?? NO_CHANGE) : null;
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
      newCount: ids ? ids.newCount : null,
      deletedCount: ids ? ids.deletedCount : null,
      newSize: ids ? ids.newSize : null,
      deletedSize: ids ? ids.deletedSize : null,
    });
  }
  rows.sort((p, q) => q.retainedSizeDelta - p.retainedSizeDelta || q.countDelta - p.countDelta || (p.type < q.type ? -1 : p.type > q.type ? 1 : 0));
  return rows;
}
