import type { SnapshotRecord, SnapshotSuspects } from '../../../src/api';
import { fetchSuspects } from '../common/collector-api';
import { el } from '../common/dom';
import { createPanelRefresh } from '../common/panel-refresh';
import { formatBytesDelta, formatDateTime } from '../common/format';
import { suspectItem } from './suspect-item';
import { survivingLine } from './surviving-line';

/** The fewest snapshots of one process the ranking needs (docs/suspects.md). */
const MIN_SNAPSHOTS = 3;

/** Why a process has no suspects to show. */
function emptyText(boot: SnapshotSuspects | undefined): string {
  if (!boot) return `No growth suspects yet: they are ranked once ${MIN_SNAPSHOTS} snapshots of one process are ready.`;
  if (boot.snapshots < MIN_SNAPSHOTS) return `No growth suspects yet: ${boot.snapshots} of the ${MIN_SNAPSHOTS} snapshots of this process they need ${boot.snapshots === 1 ? 'is' : 'are'} ready.`;
  return `No growth suspects: nothing keeps growing across the ${boot.snapshots} snapshots of this process.`;
}

function bootFacts(boot: SnapshotSuspects): string {
  const floor = boot.floorGrowthBytes === null ? 'heap floor growth unknown' : `heap floor ${formatBytesDelta(boot.floorGrowthBytes)} over the window`;
  return `process ${boot.boot}: ranked on the snapshot of ${formatDateTime(boot.takenAt)}, over its last ${boot.snapshots} snapshots; ${floor}`;
}

/**
 * The run page's "Growth suspects" section: per process of the run (newest first), the
 * containers that keep growing across its snapshots, largest LeakShare first. Read when the
 * page opens, again whenever one of the run's snapshots becomes ready (the `snapshot` pushes
 * from /live, no polling) and on a (re)connect of the live socket.
 * `data-state` (loading, ready, empty, error) and `data-snapshot` (the ranked one) are for tests.
 */
export function createSuspectsPanel(host: HTMLElement, runId: string) {
  const facts = el('div', { class: 'suspects-facts' });
  const errorLine = el('p', { class: 'snap-error', role: 'alert', hidden: '' });
  const body = el('div', { class: 'suspects-body' });
  const root = el(
    'section',
    { class: 'suspects', 'data-section': 'suspects', 'data-state': 'loading' },
    el(
      'header',
      { class: 'snap-head' },
      el('h2', {}, 'Growth suspects'),
      el('p', { class: 'hint' }, 'containers that keep growing across the snapshots of one process, ranked by the memory only they keep alive'),
    ),
    errorLine,
    facts,
    body,
  );
  host.append(root);

  /** Snapshots already seen ready: a push repeating one must not refetch. */
  const seenReady = new Set<string>();

  /**
   * The last answer, and the boots of the run's other processes while the page shows one: their
   * suspects are not this process's. A boot the page does not know as a process (a sender without
   * samples) stays in.
   */
  let lastBoots: SnapshotSuspects[] = [];
  let others: ReadonlySet<string> = new Set();
  let answered = false;

  function render(all: SnapshotSuspects[]): void {
    lastBoots = all;
    answered = true;
    const boots = all.filter((b) => !others.has(b.boot));
    const withSuspects = boots.filter((b) => b.suspects.length > 0);
    root.dataset.snapshot = boots[0]?.snapshotId ?? '';
    root.dataset.count = String(withSuspects.reduce((n, b) => n + b.suspects.length, 0));
    if (withSuspects.length === 0) {
      root.dataset.state = 'empty';
      facts.replaceChildren();
      body.replaceChildren(el('p', { class: 'hint suspects-empty' }, emptyText(boots[0])));
      return;
    }
    root.dataset.state = 'ready';
    facts.replaceChildren();
    body.replaceChildren(
      ...withSuspects.map((boot) =>
        el(
          'div',
          { class: 'suspects-boot', 'data-boot': boot.boot },
          el('p', { class: 'hint snap-facts' }, bootFacts(boot)),
          el('ol', { class: 'suspect-list' }, ...boot.suspects.map((s, i) => suspectItem(s, i + 1))),
          ...[survivingLine(boot)].filter((line) => line !== null),
        ),
      ),
    );
    // The newest process has none (yet) while an older one had some: say so above the list.
    if (boots[0] && boots[0].suspects.length === 0) facts.replaceChildren(el('p', { class: 'hint suspects-empty' }, `Newest process ${boots[0].boot}: ${emptyText(boots[0])}`));
  }

  const refresh = createPanelRefresh(root, errorLine, () => fetchSuspects(runId), render);

  return {
    refresh,
    /**
     * A `snapshot` push from /live. The collector ranks a snapshot's suspects before it marks it
     * ready, so a newly ready one means new suspects: refetches, and says so (true).
     */
    onSnapshot(snapshot: SnapshotRecord): boolean {
      if (snapshot.run !== runId || snapshot.status !== 'ready' || seenReady.has(snapshot.id)) return false;
      seenReady.add(snapshot.id);
      void refresh();
      return true;
    },
    /** Leaves out the suspects of these boots (the processes the page does not show, as its charts do). */
    hideProcesses(boots: readonly string[]): void {
      if (boots.length === others.size && boots.every((b) => others.has(b))) return;
      others = new Set(boots);
      // Before the first answer there is nothing to filter: the panel stays "loading".
      if (answered) render(lastBoots);
    },
    /** On a (re)connect, catch up on snapshots that became ready while away. */
    setLive(connected: boolean): void {
      if (connected) void refresh();
    },
  };
}

export type SuspectsPanel = ReturnType<typeof createSuspectsPanel>;
