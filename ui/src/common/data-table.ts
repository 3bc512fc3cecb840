import { el } from './dom';
import { formatCount } from './format';

export type SortDir = 'asc' | 'desc';

export interface DataColumn<T> {
  key: string;
  label: string;
  /** What the column sorts on; also written to the cell's `data-value` for tests and scripts. */
  value(row: T): number | string;
  /** Cell content (default: the value as text). */
  render?(row: T): Node | string;
  /** Numbers align right and sort largest first on the first click. */
  numeric?: boolean;
  /** Extra cell class, e.g. to colour growth and shrinkage. */
  cellClass?(row: T): string | undefined;
  title?: string;
}

export interface DataTableOptions<T> {
  /** Written to `data-table`, so pages and tests can find the table. */
  name: string;
  columns: DataColumn<T>[];
  /** Attributes of a row's `<tr>` (e.g. `data-type`). */
  rowAttrs(row: T): Record<string, string>;
  /** The text the filter box matches (case-insensitive substring). */
  filterText(row: T): string;
  sort: { key: string; dir: SortDir };
  /** Rows shown until the user asks for all: big snapshots have tens of thousands of types. */
  limit: number;
  /** "types" in "200 of 5,321 types". */
  noun: string;
  filterPlaceholder: string;
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

/**
 * A table that sorts by clicking a header (again: reverse), narrows rows with a filter box, and
 * shows the first `limit` rows with a "show all" button. Sort, filter and "show all" survive
 * `setRows`, so switching snapshots keeps the user's view.
 */
export function createDataTable<T>(options: DataTableOptions<T>) {
  const { columns } = options;
  let rows: T[] = [];
  let sortKey = options.sort.key;
  let sortDir: SortDir = options.sort.dir;
  let filter = '';
  let showAll = false;

  const filterBox = el('input', { type: 'search', class: 'table-filter', placeholder: options.filterPlaceholder, 'aria-label': options.filterPlaceholder, spellcheck: 'false' });
  const countText = el('span', { class: 'table-count' });
  const showAllButton = el('button', { type: 'button', class: 'link-button', 'data-action': 'show-all', hidden: '' });
  const headers = columns.map((column) => {
    const button = el('button', { type: 'button', class: 'sort-button', title: column.title ?? `sort by ${column.label}` }, column.label);
    const th = el('th', { 'data-col': column.key, class: column.numeric ? 'num' : undefined }, button);
    button.addEventListener('click', () => {
      if (sortKey === column.key) sortDir = sortDir === 'asc' ? 'desc' : 'asc';
      else {
        sortKey = column.key;
        sortDir = column.numeric ? 'desc' : 'asc';
      }
      render();
    });
    return th;
  });
  const tbody = el('tbody', {});
  const table = el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, ...headers)), tbody);
  const message = el('p', { class: 'table-message', hidden: '' });
  const tools = el('div', { class: 'table-tools' }, filterBox, countText, showAllButton);
  const wrap = el('div', { class: 'table-wrap' }, table);
  const node = el('div', { class: 'data-table', 'data-table': options.name }, tools, wrap, message);

  function setMessage(text: string | null): void {
    message.textContent = text ?? '';
    message.hidden = text === null;
    tools.hidden = text !== null;
    wrap.hidden = text !== null;
  }

  filterBox.addEventListener('input', () => {
    filter = filterBox.value.trim().toLowerCase();
    render();
  });
  showAllButton.addEventListener('click', () => {
    showAll = !showAll;
    render();
  });

  function sorted(list: T[]): T[] {
    const column = columns.find((c) => c.key === sortKey) ?? columns[0];
    const sign = sortDir === 'asc' ? 1 : -1;
    const first = columns[0];
    // Ties fall back to the first column (the type name), so equal rows keep a stable order.
    return [...list].sort((a, b) => sign * compareValues(column.value(a), column.value(b)) || compareValues(first.value(a), first.value(b)));
  }

  function cell(column: DataColumn<T>, row: T): HTMLTableCellElement {
    const value = column.value(row);
    const classes = [column.numeric ? 'num' : '', column.cellClass?.(row) ?? ''].filter(Boolean).join(' ');
    return el('td', { 'data-col': column.key, 'data-value': String(value), class: classes || undefined }, column.render ? column.render(row) : String(value));
  }

  function render(): void {
    const matching = filter === '' ? rows : rows.filter((row) => options.filterText(row).toLowerCase().includes(filter));
    const ordered = sorted(matching);
    const shown = showAll ? ordered : ordered.slice(0, options.limit);
    tbody.replaceChildren(...shown.map((row) => el('tr', options.rowAttrs(row), ...columns.map((column) => cell(column, row)))));
    for (const [i, th] of headers.entries()) {
      const active = columns[i].key === sortKey;
      th.setAttribute('aria-sort', active ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none');
      th.classList.toggle('sorted', active);
    }
    const of = matching.length === rows.length ? '' : ` (filtered from ${formatCount(rows.length)})`;
    countText.textContent = `${formatCount(shown.length)} of ${formatCount(matching.length)} ${options.noun}${of}`;
    showAllButton.hidden = matching.length <= options.limit;
    showAllButton.textContent = showAll ? `show top ${formatCount(options.limit)}` : `show all ${formatCount(matching.length)}`;
    node.dataset.sortKey = sortKey;
    node.dataset.sortDir = sortDir;
    node.dataset.total = String(rows.length);
    node.dataset.matching = String(matching.length);
    node.dataset.shown = String(shown.length);
  }

  render();

  return {
    node,
    /** Replaces the rows (keeps sort, filter and "show all"). */
    setRows(next: T[]): void {
      rows = next;
      setMessage(null);
      render();
    },
    /** Empties the table and says why (no snapshot picked, still analysing, …). */
    showMessage(text: string): void {
      rows = [];
      render();
      setMessage(text);
    },
  };
}

export type DataTable<T> = ReturnType<typeof createDataTable<T>>;
