import type { AllocSite } from '../../../src/api';
import { frameText } from '../../../src/shared/alloc-data';
import { el } from '../common/dom';
import { formatBytes } from '../common/format';
import { suspectSparkline } from '../suspects/suspect-sparkline';
import { frameNote, siteGrowthText, siteLocationText } from './site-text';

/** Frames of the stack shown under a site; the rest are counted. */
const SHOWN_FRAMES = 8;

/**
 * One allocation site: where it allocates (source-mapped path:line and function), its live bytes
 * over the profiles as a sparkline, the growth, and its stack (caller chain, innermost first).
 * `data-*` attributes are for tests.
 */
export function siteItem(site: AllocSite, rank: number): HTMLLIElement {
  const top = site.frames[0];
  const spark = suspectSparkline(site.t, site.liveBytes, `live bytes per profile: ${site.liveBytes.map((b) => formatBytes(b)).join(' → ')}`);
  const stack = el('ol', { class: 'site-stack' });
  for (const frame of site.frames.slice(1, 1 + SHOWN_FRAMES)) {
    stack.append(el('li', { 'data-mapped': String(frame.source.mapped) }, el('code', {}, frameText(frame))));
  }
  if (site.frames.length > 1 + SHOWN_FRAMES) stack.append(el('li', { class: 'hint' }, `… ${site.frames.length - 1 - SHOWN_FRAMES} more frames`));
  const matched = site.suspectIds.length > 0 ? el('span', { class: 'site-match', 'data-stat': 'suspects' }, `allocates what suspect @${site.suspectIds.join(', @')} holds`) : null;
  return el(
    'li',
    {
      class: `site${site.growing ? ' growing' : ''}`,
      'data-rank': String(rank),
      'data-site': site.siteId,
      'data-growing': String(site.growing),
      'data-location': siteLocationText(site),
      'data-mapped': String(top?.source.mapped ?? false),
    },
    el(
      'div',
      { class: 'suspect-head' },
      el('span', { class: 'suspect-rank' }, `#${rank}`),
      el('code', { class: 'site-location', title: top ? frameNote(top) : '' }, siteLocationText(site)),
      site.growing ? el('span', { class: 'site-badge' }, 'growing') : null,
      el('span', { class: 'spacer' }),
      el('span', { class: 'suspect-trend' }, spark),
    ),
    el('p', { class: 'suspect-stats' }, el('span', { 'data-stat': 'growth' }, siteGrowthText(site)), matched, top ? el('span', { class: 'hint' }, frameNote(top)) : null),
    stack.childElementCount > 0 ? stack : null,
  );
}
