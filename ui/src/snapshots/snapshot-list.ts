import type { SnapshotRecord } from '../../../src/api';
import { snapshotDownloadHref } from '../common/collector-api';
import { el } from '../common/dom';
import { formatBytes, formatCount, formatDateTime, formatMs, formatStarted } from '../common/format';
import { snapshotStatusCell } from './snapshot-status';

/** Which snapshot's types are shown, and the two being compared. */
export interface SnapshotSelection {
  selected: string | null;
  a: string | null;
  b: string | null;
}

export interface SnapshotListHandlers {
  /** A row was clicked: show that snapshot's types (shift: compare it with the shown one). */
  onPick(id: string, shift: boolean): void;
  /** An A/B button was pressed. */
  onCompare(role: 'a' | 'b', id: string): void;
}

const HEADINGS = ['compare', 'taken', 'trigger', 'status', 'file size', 'nodes', 'reachable size', 'app pause', 'file / reason'];

/** Sizes and counts are 0 until the probe or the analysis reported them: show a dash, not "0 B". */
function known(value: number, format: (n: number) => string): string {
  return value > 0 ? format(value) : '–';
}

function compareButton(role: 'a' | 'b', snapshot: SnapshotRecord, selection: SnapshotSelection, handlers: SnapshotListHandlers): HTMLButtonElement {
  const pressed = selection[role] === snapshot.id;
  const ready = snapshot.status === 'ready';
  const button = el(
    'button',
    {
      type: 'button',
      class: `ab-button${pressed ? ' pressed' : ''}`,
      'data-action': `set-${role}`,
      'aria-pressed': String(pressed),
      title: ready ? `compare: use this snapshot as ${role.toUpperCase()}` : 'only analysed snapshots can be compared',
    },
    role.toUpperCase(),
  );
  button.disabled = !ready;
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    handlers.onCompare(role, snapshot.id);
  });
  return button;
}

function fileOrReason(runId: string, snapshot: SnapshotRecord): Node | string {
  if (snapshot.status === 'ready') {
    return el(
      'a',
      { href: snapshotDownloadHref(runId, snapshot.id), download: '', 'data-action': 'download', title: 'the raw .heapsnapshot, to open in Chrome DevTools (Memory tab, Load)' },
      'download .heapsnapshot',
    );
  }
  if (snapshot.status === 'refused' || snapshot.status === 'failed') {
    return el('span', { class: 'snap-reason' }, snapshot.errorCode ? el('code', {}, snapshot.errorCode) : null, snapshot.errorCode ? ' ' : '', snapshot.reason || 'no reason given');
  }
  return '';
}

function row(runId: string, snapshot: SnapshotRecord, selection: SnapshotSelection, handlers: SnapshotListHandlers): HTMLTableRowElement {
  const roles = [selection.a === snapshot.id ? 'a' : '', selection.b === snapshot.id ? 'b' : ''].filter(Boolean).join(' ');
  const tr = el(
    'tr',
    {
      'data-snapshot-id': snapshot.id,
      'data-status': snapshot.status,
      'data-taken-at': String(snapshot.takenAt),
      'data-selected': String(selection.selected === snapshot.id),
      'data-role': roles || undefined,
      'data-progress': snapshot.progress ? `${snapshot.progress.phase}:${snapshot.progress.done}/${snapshot.progress.total}` : undefined,
      class: selection.selected === snapshot.id ? 'selected' : undefined,
      title: 'click to show its types; shift-click to compare it with the shown one',
    },
    el('td', { class: 'ab' }, compareButton('a', snapshot, selection, handlers), compareButton('b', snapshot, selection, handlers)),
    el('td', { title: formatDateTime(snapshot.takenAt) }, formatStarted(snapshot.takenAt)),
    el('td', {}, snapshot.trigger),
    el('td', {}, snapshotStatusCell(snapshot)),
    el('td', { class: 'num', 'data-col': 'fileSize' }, known(snapshot.fileSize, formatBytes)),
    el('td', { class: 'num', 'data-col': 'nodeCount' }, known(snapshot.nodeCount, formatCount)),
    el('td', { class: 'num', 'data-col': 'reachableSize' }, known(snapshot.reachableSize, formatBytes)),
    el('td', { class: 'num', 'data-col': 'captureMs', title: 'how long the app was paused while V8 wrote the snapshot' }, known(snapshot.captureMs, formatMs)),
    el('td', { class: 'file' }, fileOrReason(runId, snapshot)),
  );
  tr.tabIndex = 0;
  tr.addEventListener('click', (event) => {
    if ((event.target as HTMLElement).closest('a, button')) return;
    handlers.onPick(snapshot.id, event.shiftKey);
  });
  tr.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.target !== tr) return;
    handlers.onPick(snapshot.id, event.shiftKey);
  });
  return tr;
}

/** The run's snapshots, oldest first, with their status, sizes and the A/B compare buttons. */
export function createSnapshotList(runId: string, handlers: SnapshotListHandlers) {
  const tbody = el('tbody', {});
  const table = el('table', { class: 'grid snapshot-list' }, el('thead', {}, el('tr', {}, ...HEADINGS.map((h) => el('th', {}, h)))), tbody);
  const empty = el('p', { class: 'table-message' }, 'No snapshots yet. Take one with the button above, or let a trigger take them.');
  const node = el('div', { class: 'snapshot-list-box' }, el('div', { class: 'table-wrap' }, table), empty);

  return {
    node,
    render(snapshots: SnapshotRecord[], selection: SnapshotSelection): void {
      tbody.replaceChildren(...snapshots.map((s) => row(runId, s, selection, handlers)));
      empty.hidden = snapshots.length > 0;
      table.hidden = snapshots.length === 0;
    },
  };
}
