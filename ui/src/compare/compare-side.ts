import type { ComparedRun } from '../../../src/api';
import { el } from '../common/dom';
import { formatBytes, formatCount, formatRatePerHour } from '../common/format';
import { withThresholds, type VerdictThresholds } from '../common/verdict-query';
import { verdictBadge } from '../verdict/verdict-badge';

function list(values: string[]): string {
  return values.length === 0 ? '–' : values.join(', ');
}

function short(id: string): string {
  return id.length > 12 ? id.slice(0, 12) : id;
}

function table(cls: string, header: string[], rows: HTMLTableRowElement[]): HTMLTableElement {
  return el('table', { class: `grid ${cls}` }, el('thead', {}, el('tr', {}, ...header.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}

/** One run's column: its verdict and heap-floor slope, each process's, its top suspects and top types. */
export function compareSide(label: 'a' | 'b', side: ComparedRun, thresholds: VerdictThresholds): HTMLElement {
  const { run, verdict } = side;
  const processes = side.processes.map((p) =>
    el(
      'tr',
      { 'data-boot': p.boot },
      el('td', { title: p.boot }, short(p.boot)),
      el('td', {}, p.appName || '–'),
      el('td', {}, verdictBadge(p.verdict, p.reasons[0])),
      el('td', { class: 'num floor-slope' }, formatRatePerHour(p.floorSlopeBytesPerHour)),
    ),
  );
  const suspects = side.suspects.map((s) => el('tr', {}, el('td', {}, `${s.kind} ${s.label}`), el('td', { class: 'num' }, formatRatePerHour(s.bytesPerHour)), el('td', { class: 'num' }, formatBytes(s.leakShareBytes))));
  const types = side.topTypes?.types.map((t) => el('tr', {}, el('td', {}, t.type), el('td', { class: 'num' }, formatCount(t.count)), el('td', { class: 'num' }, formatBytes(t.retainedSize)))) ?? [];
  return el(
    'section',
    { class: `compare-side panel`, 'data-side': label, 'data-run-id': run.id },
    el('h2', {}, `${label.toUpperCase()}: `, el('a', { href: `/runs/${encodeURIComponent(run.id)}${withThresholds('', thresholds)}` }, run.name || run.id), el('span', { class: 'sub' }, ` ${run.id}`)),
    el(
      'p',
      { class: 'compare-verdict' },
      verdictBadge(verdict.verdict, verdict.reasons[0]),
      ' heap floor ',
      el('span', { class: 'run-floor-slope' }, formatRatePerHour(verdict.floorSlopeBytesPerHour)),
    ),
    el('p', { class: 'compare-identity' }, `app ${list(side.identity.appName)} ${list(side.identity.appVersion)} · commit ${list(side.identity.gitCommit.map(short))} · node ${list(side.identity.nodeVersion)}`),
    el('h3', {}, 'Processes'),
    processes.length ? table('compare-processes', ['process', 'app', 'verdict', 'floor slope'], processes) : el('p', { class: 'muted' }, 'no samples yet'),
    el('h3', {}, 'Top suspects'),
    suspects.length ? table('compare-suspects', ['container', 'growth', 'LeakShare'], suspects) : el('p', { class: 'muted' }, 'no suspects'),
    el('h3', {}, side.topTypes ? `Top types of snapshot ${side.topTypes.snapshotId}` : 'Top types'),
    types.length ? table('compare-types', ['type', 'count', 'retained'], types) : el('p', { class: 'muted compare-no-snapshot' }, 'no analysed snapshot'),
  );
}
