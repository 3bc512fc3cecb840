import type { SuspectSummary } from '../../../src/api';
import { suspectName } from '../../../src/shared/suspect-data';
import { el } from '../common/dom';
import { formatCount, formatRatePerHour } from '../common/format';
import { suspectSparkline } from './suspect-sparkline';
import { entriesText, floorShareText, leakShareText, pathCountText } from './suspect-text';

/**
 * One ranked suspect: rank, what it is, how it grew, the entries sparkline across the window,
 * and who holds it: the container's own path, then its new members' path groups (one shape
 * each, indexes and keys collapsed, with how many sampled objects have it). The `data-*`
 * attributes are for tests.
 */
export function suspectItem(suspect: SuspectSummary, rank: number): HTMLLIElement {
  const name = suspectName(suspect);
  const share = floorShareText(suspect);
  const stats = el(
    'p',
    { class: 'suspect-stats' },
    el('span', { 'data-stat': 'entries' }, entriesText(suspect)),
    el('span', { 'data-stat': 'rate', title: 'growth of the memory only it keeps alive, allocated during the window' }, formatRatePerHour(suspect.bytesPerHour)),
    el('span', { 'data-stat': 'leak-share', title: 'memory reachable only through this suspect (BLeak), split among suspects that share it' }, leakShareText(suspect)),
    share ? el('span', { 'data-stat': 'floor-share' }, share) : null,
  );
  const first = suspect.entries[0];
  const last = suspect.entries[suspect.entries.length - 1];
  const spark = suspectSparkline(suspect.takenAt, suspect.entries, `entries per snapshot: ${suspect.entries.map((n) => formatCount(n)).join(' → ')}`);
  const paths = el('ul', { class: 'suspect-paths' });
  if (suspect.paths.container) {
    paths.append(el('li', { 'data-path': 'container' }, el('code', {}, suspect.paths.container), el('span', { class: 'hint' }, ' the container')));
  }
  for (const group of suspect.paths.members) {
    paths.append(
      el(
        'li',
        { 'data-path': 'member', 'data-count': String(group.count), title: `e.g. @${group.exampleId} in DevTools` },
        el('code', {}, group.path),
        el('span', { class: 'hint' }, ` ${pathCountText(group.count)}`),
      ),
    );
  }
  if (paths.childElementCount === 0) paths.append(el('li', { class: 'hint' }, 'no path from a user root was found'));
  return el(
    'li',
    { class: 'suspect', 'data-rank': String(rank), 'data-kind': suspect.kind, 'data-label': name, 'data-id': String(suspect.id) },
    el(
      'div',
      { class: 'suspect-head' },
      el('span', { class: 'suspect-rank' }, `#${rank}`),
      el('strong', { class: 'suspect-label' }, name),
      el('span', { class: 'suspect-kind hint' }, suspect.kind),
      el('span', { class: 'spacer' }),
      el('span', { class: 'suspect-trend' }, spark, el('span', { class: 'hint' }, ` ${formatCount(first)} → ${formatCount(last)}`)),
    ),
    stats,
    paths,
  );
}
