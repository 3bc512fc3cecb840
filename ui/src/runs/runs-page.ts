import { ALL_RUNS, type LiveMessage, type RunSummary } from '../../../src/api';
import { fetchRuns } from '../common/collector-api';
import { createBanner } from '../common/banner';
import { el, setPageState } from '../common/dom';
import { formatBytes, formatDateTime, formatStarted } from '../common/format';
import { createLiveSocket } from '../common/live-socket';
import { formatRunDuration, labelChips, statusBadge } from '../common/status-badge';
import { thresholdsFromQuery, withThresholds, type VerdictThresholds } from '../common/verdict-query';
import { resultBadge, verdictBadge } from '../verdict/verdict-badge';
import { createComparePicker } from '../compare/compare-picker';
import { createRunsVerdicts, MAX_VERDICT_ROWS, type RowVerdict } from './runs-verdicts';

/** The list refreshes this often (latest heap and durations change with every sample). */
const POLL_MS = 5000;

/** Links keep the page's verdict thresholds, so the run page judges the run the same way. */
function runHref(run: RunSummary, thresholds: VerdictThresholds): string {
  return `/runs/${encodeURIComponent(run.id)}${withThresholds('', thresholds)}`;
}

/** A row's verdict cell content: nothing past the rows that get one, '…' while it is on its way. */
function verdictCell(verdict: RowVerdict | null, fetched: boolean): Node {
  if (!fetched) return el('span', { class: 'muted' }, '–');
  if (verdict === null) return verdictBadge('pending', 'asking the collector');
  if (verdict.state === 'error') return verdictBadge('error', verdict.message);
  const result = verdict.result;
  // A run of several processes is judged by its worst one, which the verdict's first reason names.
  const named = result.process && result.reasons[0]?.includes(result.process.label) ? result.reasons[0] : null;
  if (!named || !result.process) return resultBadge(result);
  const cell = document.createDocumentFragment();
  cell.append(resultBadge(result), el('div', { class: 'hint verdict-process', 'data-boot': result.process.boot }, named));
  return cell;
}

function runRow(run: RunSummary, thresholds: VerdictThresholds, verdict: Node, pick: HTMLTableCellElement): HTMLTableRowElement {
  const row = el(
    'tr',
    { 'data-run-id': run.id },
    pick,
    el('td', { class: 'name' }, el('a', { href: runHref(run, thresholds) }, run.name || run.id), el('div', { class: 'sub' }, run.id)),
    el('td', {}, labelChips(run.labels)),
    el('td', {}, run.host, el('div', { class: 'sub' }, `pid ${run.pid}`)),
    el('td', { title: formatDateTime(run.startedAt) }, formatStarted(run.startedAt)),
    el('td', { class: 'num' }, formatRunDuration(run)),
    el('td', { class: 'num' }, formatBytes(run.latestHeapUsed)),
    el('td', {}, statusBadge(run.status)),
    el('td', { class: 'verdict-cell' }, verdict),
  );
  // The whole row is a link target; the name stays a real <a> for keyboard and middle-click.
  row.addEventListener('click', (event) => {
    if ((event.target as HTMLElement).closest('a')) return;
    location.assign(runHref(run, thresholds));
  });
  return row;
}

/**
 * The runs list: newest first, refreshed by polling and by `run` pushes on `/live`, with the leak
 * verdict of the newest MAX_VERDICT_ROWS runs (`?maxSlope=…&minDuration=…`, see verdict-query.ts,
 * are passed to the verdict API; none: its defaults).
 */
export function startRunsPage(root: HTMLElement): void {
  setPageState('loading');
  document.title = 'Runs · leakwatch';
  const bannerHost = el('div', {});
  const tbody = el('tbody', {});
  const table = el(
    'table',
    { class: 'runs' },
    el('thead', {}, el('tr', {}, ...['', 'name', 'labels', 'host / pid', 'started', 'duration', 'latest heap used', 'status', 'verdict'].map((h) => el('th', {}, h)))),
    tbody,
  );
  const empty = el('p', { class: 'empty', hidden: '' }, 'No runs yet. Start one with ', el('code', {}, 'leakwatch run -- node app.js'), '.');
  const thresholds = thresholdsFromQuery(new URLSearchParams(location.search));
  const runs = new Map<string, RunSummary>();
  const picker = createComparePicker(thresholds, (runId) => runs.get(runId)?.startedAt);
  root.append(el('div', { class: 'page-title' }, el('h1', {}, 'Runs')), bannerHost, picker.bar, el('div', { class: 'table-wrap' }, table), empty);
  const banner = createBanner(bannerHost);

  let loadedOnce = false;
  const verdicts = createRunsVerdicts(thresholds, (runId) => {
    // Swap the one cell rather than re-render the whole table for each arriving verdict.
    const row = [...tbody.rows].find((r) => r.dataset.runId === runId);
    row?.querySelector('td.verdict-cell')?.replaceChildren(verdictCell(verdicts.get(runId), true));
  });

  function render(): void {
    const sorted = [...runs.values()].sort((a, b) => b.startedAt - a.startedAt);
    verdicts.sync(sorted);
    // Only the newest MAX_VERDICT_ROWS rows get a verdict; older ones show a dash.
    const judged = new Set(sorted.slice(0, MAX_VERDICT_ROWS).map((run) => run.id));
    tbody.replaceChildren(...sorted.map((run) => runRow(run, thresholds, verdictCell(verdicts.get(run.id), judged.has(run.id)), picker.cell(run.id))));
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
  socket.subscribe(ALL_RUNS);
  window.setInterval(() => void refresh(), POLL_MS);
  void refresh();
}
