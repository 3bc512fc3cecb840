import { fetchRuns } from './api';
import type { LiveMessage, RunSummary } from './api-types';
import { createBanner } from './banner';
import { el, setPageState } from './dom';
import { formatBytes, formatDateTime, formatStarted } from './format';
import { createLiveSocket } from './live-socket';
import { formatRunDuration, labelChips, statusBadge } from './run-status';

/** The list refreshes this often (latest heap and durations change with every sample). */
const POLL_MS = 5000;

function runHref(run: RunSummary): string {
  return `/runs/${encodeURIComponent(run.id)}`;
}

function runRow(run: RunSummary): HTMLTableRowElement {
  const row = el(
    'tr',
    { 'data-run-id': run.id },
    el('td', { class: 'name' }, el('a', { href: runHref(run) }, run.name || run.id), el('div', { class: 'sub' }, run.id)),
    el('td', {}, labelChips(run.labels)),
    el('td', {}, run.host, el('div', { class: 'sub' }, `pid ${run.pid}`)),
    el('td', { title: formatDateTime(run.startedAt) }, formatStarted(run.startedAt)),
    el('td', { class: 'num' }, formatRunDuration(run)),
    el('td', { class: 'num' }, formatBytes(run.latestHeapUsed)),
    el('td', {}, statusBadge(run.status)),
  );
  // The whole row is a link target; the name stays a real <a> for keyboard and middle-click.
  row.addEventListener('click', (event) => {
    if ((event.target as HTMLElement).closest('a')) return;
    location.assign(runHref(run));
  });
  return row;
}

/** The runs list: newest first, refreshed by polling and by `run` pushes on `/live`. */
export function startRunsPage(root: HTMLElement): void {
  setPageState('loading');
  document.title = 'Runs · leakwatch';
  const bannerHost = el('div', {});
  const tbody = el('tbody', {});
  const table = el(
    'table',
    { class: 'runs' },
    el('thead', {}, el('tr', {}, ...['name', 'labels', 'host / pid', 'started', 'duration', 'latest heap used', 'status'].map((h) => el('th', {}, h)))),
    tbody,
  );
  const empty = el('p', { class: 'empty', hidden: '' }, 'No runs yet. Start one with ', el('code', {}, 'leakwatch run -- node app.js'), '.');
  root.append(el('div', { class: 'page-title' }, el('h1', {}, 'Runs')), bannerHost, el('div', { class: 'table-wrap' }, table), empty);
  const banner = createBanner(bannerHost);

  const runs = new Map<string, RunSummary>();
  let loadedOnce = false;

  function render(): void {
    const sorted = [...runs.values()].sort((a, b) => b.startedAt - a.startedAt);
    tbody.replaceChildren(...sorted.map(runRow));
    empty.hidden = sorted.length > 0;
    table.hidden = sorted.length === 0;
  }

  async function refresh(): Promise<void> {
    try {
      const list = await fetchRuns();
      runs.clear();
      for (const run of list) runs.set(run.id, run);
      render();
      banner.clear();
      loadedOnce = true;
      setPageState('ready');
    } catch (err) {
      banner.show(err);
      if (!loadedOnce) setPageState('error');
    }
  }

  const socket = createLiveSocket({
    onMessage(msg: LiveMessage) {
      if (msg.type !== 'run') return;
      runs.set(msg.run.id, msg.run);
      if (loadedOnce) render();
    },
  });
  socket.subscribe('*');
  window.setInterval(() => void refresh(), POLL_MS);
  void refresh();
}
