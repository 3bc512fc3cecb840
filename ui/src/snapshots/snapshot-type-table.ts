import type { SnapshotTypeRow } from '../../../src/api';
import { createDataTable } from '../common/data-table';
import { formatBytes, formatCount } from '../common/format';

/** Rows drawn before "show all": enough to find any leak suspect, cheap to render. */
export const TYPE_ROW_LIMIT = 200;

/** One snapshot's objects grouped by type (DevTools' "Constructor" view), largest retained first. */
export function createSnapshotTypeTable() {
  return createDataTable<SnapshotTypeRow>({
    name: 'types',
    noun: 'types',
    filterPlaceholder: 'filter types',
    limit: TYPE_ROW_LIMIT,
    sort: { key: 'retainedSize', dir: 'desc' },
    rowAttrs: (row) => ({ 'data-type': row.type }),
    filterText: (row) => row.type,
    columns: [
      { key: 'type', label: 'type', value: (row) => row.type, render: (row) => row.type },
      { key: 'count', label: 'count', numeric: true, value: (row) => row.count, render: (row) => formatCount(row.count) },
      { key: 'selfSize', label: 'self size', numeric: true, value: (row) => row.selfSize, render: (row) => formatBytes(row.selfSize), title: 'bytes of the objects themselves' },
      {
        key: 'retainedSize',
        label: 'retained size',
        numeric: true,
        value: (row) => row.retainedSize,
        render: (row) => formatBytes(row.retainedSize),
        title: 'bytes freed if every object of the type went away (nested objects of the same type counted once)',
      },
    ],
  });
}

export type SnapshotTypeTable = ReturnType<typeof createSnapshotTypeTable>;
