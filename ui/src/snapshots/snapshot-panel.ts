import type { SnapshotRecord, SnapshotTypeRow } from '../../../src/api';
import { fetchSnapshot, fetchSnapshotDiff, fetchSnapshots } from '../common/collector-api';
import { el } from '../common/dom';
import { errorText } from '../common/error-text';
import { formatBytes, formatBytesDelta, formatCount, formatMs } from '../common/format';
import { createSnapshotDiffTable } from './snapshot-diff-table';
import { createSnapshotList, type SnapshotSelection } from './snapshot-list';
import type { SnapshotMarker, SnapshotMarkers } from './snapshot-markers';
import { isInFlight, progressText, snapshotLabel } from './snapshot-status';
import { createTakeSnapshot } from './snapshot-take';
import { createSnapshotTypeTable } from './snapshot-type-table';

/** Without live pushes (ended run, socket down) in-flight snapshots are polled this often. */
const POLL_MS = 3000;

type TableState = 'empty' | 'pending' | 'loading' | 'ready' | 'unavailable' | 'error';

/**
 * The run page's "Heap snapshots" section: take button, the list, the per-type table of the
 * selected snapshot and the A/B diff. Owns the selection; the heap chart's markers mirror it.
 */
export function createSnapshotPanel(host: HTMLElement, runId: string, markers: SnapshotMarkers) {
  const records = new Map<string, SnapshotRecord>();
  /**
   * When each record last changed, on a counter bumped by every change. A list read may be
   * answered after a push or the take button's answer brought a snapshot it could not know of;
   * only records not changed since the read began may be dropped as gone.
   */
  const changedAt = new Map<string, number>();
  let changeClock = 0;
  /** Per-type rows of ready snapshots (they never change once ready). */
  const typeRows = new Map<string, SnapshotTypeRow[]>();
  const typesLoading = new Set<string>();
  let selection: SnapshotSelection = { selected: null, a: null, b: null };
  let typesShownFor: string | null = null;
  let diffShownFor: string | null = null;
  let diffGeneration = 0;
  let listGeneration = 0;
  let live = false;
  let pickedByUser = false;
  /** The process the page shows (its boot): its snapshots only, and the take button asks its probe. */
  let shownBoot: string | undefined;

  const take = createTakeSnapshot(runId, () => shownBoot, (snapshot) => {
    upsert(snapshot);
    render();
  });
  const errorLine = el('p', { class: 'snap-error', role: 'alert', hidden: '' });
  const list = createSnapshotList(runId, {
    onPick: (id, shift) => pick(id, shift),
    onCompare: (role, id) => setCompare(role, id),
  });

  const typesTitle = el('h3', {}, 'Types');
  const typesFacts = el('p', { class: 'hint snap-facts' });
  const typeTable = createSnapshotTypeTable();
  const typesBox = el('section', { class: 'snap-card', 'data-part': 'types' }, typesTitle, typesFacts, typeTable.node);

  const diffTitle = el('h3', {}, 'Compare');
  const diffFacts = el('p', { class: 'hint snap-facts' });
  const swapButton = el('button', { type: 'button', class: 'link-button', 'data-action': 'swap', title: 'swap A and B' }, 'swap A ⇄ B');
  const clearButton = el('button', { type: 'button', class: 'link-button', 'data-action': 'clear-compare' }, 'clear');
  const diffTable = createSnapshotDiffTable();
  const diffBox = el(
    'section',
    { class: 'snap-card', 'data-part': 'diff' },
    el('div', { class: 'snap-card-head' }, diffTitle, el('span', { class: 'spacer' }), swapButton, clearButton),
    diffFacts,
    diffTable.node,
  );
  swapButton.addEventListener('click', () => {
    selection = { ...selection, a: selection.b, b: selection.a };
    render();
  });
  clearButton.addEventListener('click', () => {
    selection = { ...selection, a: null, b: null };
    render();
  });

  const root = el(
    'section',
    { class: 'snapshots', 'data-section': 'snapshots' },
    el(
      'header',
      { class: 'snap-head' },
      el('h2', {}, 'Heap snapshots'),
      el('p', { class: 'hint' }, 'click a row or a marker on the heap chart to see its types; A / B (or shift-click) to compare two'),
      el('span', { class: 'spacer' }),
      take.node,
    ),
    errorLine,
    list.node,
    el('div', { class: 'snap-grid' }, typesBox, diffBox),
  );
  host.append(root);

  function showError(err: unknown): void {
    const { code, message } = errorText(err);
    errorLine.replaceChildren(el('code', {}, code), ' ', message);
    errorLine.hidden = false;
  }

  function ordered(): SnapshotRecord[] {
    return [...records.values()].filter((s) => shownBoot === undefined || s.boot === shownBoot).sort((x, y) => x.takenAt - y.takenAt || x.id.localeCompare(y.id));
  }

  /** Keeps the newer of two versions of a record (a slow list fetch must not undo a push). */
  function upsert(snapshot: SnapshotRecord): void {
    const previous = records.get(snapshot.id);
    if (previous && previous.updatedAt > snapshot.updatedAt) return;
    records.set(snapshot.id, snapshot);
    changedAt.set(snapshot.id, ++changeClock);
    take.note(snapshot);
  }

  function isReady(id: string | null): boolean {
    return id !== null && records.get(id)?.status === 'ready';
  }

  /**
   * Until the user picks one, the newest analysed snapshot is the one worth looking at (and a
   * snapshot that just finished replaces it); a user's pick stays put.
   */
  function autoSelect(): void {
    if (pickedByUser && selection.selected !== null && records.has(selection.selected)) return;
    pickedByUser = false;
    const newest = ordered().filter((s) => s.status === 'ready').pop();
    selection = { ...selection, selected: newest ? newest.id : null };
  }

  function pick(id: string, shift: boolean): void {
    const current = selection.selected;
    if (shift && current !== null && current !== id && isReady(current) && isReady(id)) {
      selection = { ...selection, a: current, b: id };
    } else {
      selection = { ...selection, selected: id };
      pickedByUser = true;
    }
    render();
  }

  function setCompare(role: 'a' | 'b', id: string): void {
    const other = role === 'a' ? 'b' : 'a';
    // Picking the other side's snapshot swaps the two instead of comparing a snapshot with itself.
    const otherId = selection[other] === id ? selection[role] : selection[other];
    selection = { ...selection, [role]: id, [other]: otherId };
    render();
  }

  function setTypes(state: TableState, text?: string): void {
    typesBox.dataset.state = state;
    if (text !== undefined) {
      typeTable.showMessage(text);
      typesShownFor = null;
    }
  }

  async function loadTypes(id: string): Promise<void> {
    if (typesLoading.has(id)) return;
    typesLoading.add(id);
    try {
      const detail = await fetchSnapshot(runId, id);
      upsert(detail.snapshot);
      if (detail.snapshot.status === 'ready') typeRows.set(id, detail.types);
    } catch (err) {
      showError(err);
      if (selection.selected === id) setTypes('error', 'The types of this snapshot could not be loaded.');
      return;
    } finally {
      typesLoading.delete(id);
    }
    render();
  }

  function syncTypes(): void {
    const id = selection.selected;
    const snapshot = id === null ? undefined : records.get(id);
    typesBox.dataset.snapshotId = id ?? '';
    if (!snapshot) {
      typesTitle.textContent = 'Types';
      typesFacts.textContent = '';
      setTypes('empty', 'Pick a snapshot in the list or on the heap chart.');
      return;
    }
    typesTitle.textContent = `Types in snapshot ${snapshotLabel(snapshot)}`;
    if (snapshot.status === 'ready') {
      typesFacts.textContent = `${formatCount(snapshot.nodeCount)} objects, ${formatBytes(snapshot.totalSize)} in all, ${formatBytes(snapshot.reachableSize)} reachable; analysed in ${formatMs(snapshot.analysisMs)}`;
      const rows = typeRows.get(snapshot.id);
      if (!rows) {
        if (typesShownFor !== null || typesBox.dataset.state !== 'loading') setTypes('loading', 'loading types…');
        void loadTypes(snapshot.id);
        return;
      }
      if (typesShownFor !== snapshot.id) {
        typeTable.setRows(rows);
        typesShownFor = snapshot.id;
      }
      typesBox.dataset.state = 'ready';
      return;
    }
    typesFacts.textContent = '';
    if (isInFlight(snapshot)) setTypes('pending', `${progressText(snapshot)}… the table appears when the analysis is done.`);
    else setTypes('unavailable', `No types: the snapshot was ${snapshot.status}${snapshot.errorCode ? ` (${snapshot.errorCode})` : ''}: ${snapshot.reason || 'no reason given'}`);
  }

  async function loadDiff(a: string, b: string, key: string): Promise<void> {
    const generation = ++diffGeneration;
    diffBox.dataset.state = 'loading';
    diffTable.showMessage('comparing…');
    try {
      const diff = await fetchSnapshotDiff(runId, a, b);
      if (generation !== diffGeneration) return;
      upsert(diff.a);
      upsert(diff.b);
      diffTable.setRows(diff.rows);
      diffShownFor = key;
      const grew = diff.b.reachableSize - diff.a.reachableSize;
      diffFacts.textContent = `reachable ${formatBytes(diff.a.reachableSize)} → ${formatBytes(diff.b.reachableSize)} (${formatBytesDelta(grew)}), objects ${formatCount(diff.a.nodeCount)} → ${formatCount(diff.b.nodeCount)}`;
      diffBox.dataset.state = 'ready';
    } catch (err) {
      if (generation !== diffGeneration) return;
      showError(err);
      diffBox.dataset.state = 'error';
      diffTable.showMessage('The comparison could not be loaded.');
    }
  }

  function syncDiff(): void {
    const { a, b } = selection;
    diffBox.dataset.a = a ?? '';
    diffBox.dataset.b = b ?? '';
    const ra = a === null ? undefined : records.get(a);
    const rb = b === null ? undefined : records.get(b);
    swapButton.hidden = !ra && !rb;
    clearButton.hidden = !ra && !rb;
    diffTitle.textContent = ra && rb ? `Compare A ${snapshotLabel(ra)} → B ${snapshotLabel(rb)}` : 'Compare';
    if (!ra || !rb) {
      diffGeneration++;
      diffShownFor = null;
      diffFacts.textContent = '';
      diffBox.dataset.state = 'empty';
      const missing = !ra && !rb ? 'A and B' : !ra ? 'A' : 'B';
      diffTable.showMessage(`Pick ${missing} with the buttons in the list (or shift-click a second snapshot) to see what grew.`);
      return;
    }
    const key = `${ra.id}|${rb.id}`;
    if (ra.status !== 'ready' || rb.status !== 'ready') {
      diffGeneration++;
      diffShownFor = null;
      diffBox.dataset.state = 'pending';
      diffTable.showMessage('Both snapshots must be analysed before they can be compared.');
      return;
    }
    if (diffShownFor === key || (diffBox.dataset.state === 'loading' && diffBox.dataset.key === key)) return;
    diffBox.dataset.key = key;
    diffFacts.textContent = '';
    void loadDiff(ra.id, rb.id, key);
  }

  function render(): void {
    autoSelect();
    const snapshots = ordered();
    list.render(snapshots, selection);
    markers.set(
      snapshots.map((snapshot): SnapshotMarker => ({
        snapshot,
        roles: [
          ...(selection.selected === snapshot.id ? (['selected'] as const) : []),
          ...(selection.a === snapshot.id ? (['A'] as const) : []),
          ...(selection.b === snapshot.id ? (['B'] as const) : []),
        ],
      })),
    );
    root.dataset.count = String(snapshots.length);
    root.dataset.selected = selection.selected ?? '';
    root.dataset.a = selection.a ?? '';
    root.dataset.b = selection.b ?? '';
    root.dataset.inFlight = String(snapshots.filter(isInFlight).length);
    syncTypes();
    syncDiff();
  }

  async function refresh(): Promise<void> {
    const generation = ++listGeneration;
    const readFrom = changeClock;
    try {
      const fetched = await fetchSnapshots(runId);
      if (generation !== listGeneration) return;
      const ids = new Set(fetched.map((s) => s.id));
      // Snapshots removed by retention disappear; the rest keep whichever version is newer. One
      // that arrived while the list was read is newer than the list, not gone.
      for (const id of [...records.keys()]) {
        if (ids.has(id) || (changedAt.get(id) ?? 0) > readFrom) continue;
        records.delete(id);
        changedAt.delete(id);
      }
      for (const snapshot of fetched) upsert(snapshot);
      errorLine.hidden = true;
      root.dataset.loaded = 'true';
      render();
    } catch (err) {
      if (generation === listGeneration) showError(err);
    }
  }

  window.setInterval(() => {
    if (!live && [...records.values()].some(isInFlight)) void refresh();
  }, POLL_MS);
  render();

  return {
    refresh,
    /**
     * Shows one process's snapshots (a boot) or all (undefined); a selection or comparison of
     * another process's snapshot is dropped, since node ids and types belong to one process.
     */
    showProcess(boot: string | undefined): void {
      if (boot === shownBoot) return;
      shownBoot = boot;
      const visible = new Set(ordered().map((s) => s.id));
      const keep = (id: string | null) => (id !== null && visible.has(id) ? id : null);
      selection = { selected: keep(selection.selected), a: keep(selection.a), b: keep(selection.b) };
      if (selection.selected === null) pickedByUser = false;
      render();
    },
    /** A marker on the heap chart was clicked (shift: compare with the shown snapshot). */
    pick,
    /** A `snapshot` push from `/live`. */
    onSnapshot(snapshot: SnapshotRecord): void {
      if (snapshot.run !== runId) return;
      upsert(snapshot);
      render();
    },
    /** Live pushes on or off; on (re)connect, catch up on what was pushed while away. */
    setLive(connected: boolean): void {
      live = connected;
      if (connected) void refresh();
    },
  };
}

export type SnapshotPanel = ReturnType<typeof createSnapshotPanel>;
