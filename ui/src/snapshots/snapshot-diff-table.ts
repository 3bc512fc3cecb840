import type { TypeDiffRow } from '../../../src/api';
import { createDataTable } from '../common/data-table';
import { formatBytes, formatBytesDelta, formatCount, formatCountDelta } from '../common/format';

/** Rows drawn before "show all". */
export const DIFF_ROW_LIMIT = 200;

/** Growth is what a leak hunt looks for: red; shrinkage green. */
function deltaClass(delta: number): string | undefined {
  if (delta > 0) return 'grow';
  if (delta < 0) return 'shrink';
  return undefined;
}

/**
 * What an id-matched column sorts on: unknown (null, the snapshots could not be matched by id)
 * sorts below every count, which is never negative.
 */
function sortable(value: number | null): number {
  return value ?? -1;
}

/**
 * Per-type change from snapshot A to snapshot B, largest retained growth first, with DevTools'
 * Comparison columns: objects new in B, objects of A deleted by B (matched by V8 object id) and
 * the new objects' size; "–" when unknown.
 */
export function createSnapshotDiffTable() {
  return createDataTable<TypeDiffRow>({
    name: 'diff',
    noun: 'types',
    filterPlaceholder: 'filter types',
    limit: DIFF_ROW_LIMIT,
    sort: { key: 'retainedSizeDelta', dir: 'desc' },
    rowAttrs: (row) => ({ 'data-type': row.type }),
    filterText: (row) => row.type,
    columns: [
      { key: 'type', label: 'type', value: (row) => row.type, render: (row) => row.type },
      {
        key: 'countB',
        label: 'count A → B',
        numeric: true,
        value: (row) => row.countB,
        render: (row) => `${formatCount(row.countA)} → ${formatCount(row.countB)}`,
        title: 'objects of the type in A and in B (sorts by B)',
      },
      { key: 'countDelta', label: 'Δ count', numeric: true, value: (row) => row.countDelta, render: (row) => formatCountDelta(row.countDelta), cellClass: (row) => deltaClass(row.countDelta) },
      {
        key: 'newCount',
        label: '# new',
        numeric: true,
        value: (row) => sortable(row.newCount),
        render: (row) => formatCount(row.newCount),
        cellClass: (row) => (row.newCount ? 'grow' : undefined),
        title: 'objects in B that were not in A (matched by object id)',
      },
      {
        key: 'deletedCount',
        label: '# deleted',
        numeric: true,
        value: (row) => sortable(row.deletedCount),
        render: (row) => formatCount(row.deletedCount),
        cellClass: (row) => (row.deletedCount ? 'shrink' : undefined),
        title: 'objects of A that are gone in B (matched by object id)',
      },
      {
        key: 'newSize',
        label: 'new size',
        numeric: true,
        value: (row) => sortable(row.newSize),
        render: (row) => formatBytes(row.newSize),
        title: 'self size of the new objects',
      },
      { key: 'selfSizeDelta', label: 'Δ self size', numeric: true, value: (row) => row.selfSizeDelta, render: (row) => formatBytesDelta(row.selfSizeDelta), cellClass: (row) => deltaClass(row.selfSizeDelta) },
      {
        key: 'retainedSizeDelta',
        label: 'Δ retained size',
        numeric: true,
        value: (row) => row.retainedSizeDelta,
        render: (row) => formatBytesDelta(row.retainedSizeDelta),
        cellClass: (row) => deltaClass(row.retainedSizeDelta),
      },
    ],
  });
}

export type SnapshotDiffTable = ReturnType<typeof createSnapshotDiffTable>;
