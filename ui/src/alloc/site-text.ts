import type { AllocSite, SiteFrame } from '../../../src/api';
import { frameText } from '../../../src/shared/alloc-data';
import { formatBytes, formatRatePerHour } from '../common/format';

/** `src/audit.ts:20 remember()`: the site's allocating function where the user wrote it. */
export function siteLocationText(site: AllocSite): string {
  const top = site.frames[0];
  return top ? frameText(top) : '(unknown site)';
}

/**
 * Why a location is or is not the original source: V8's sampling heap profiler records the
 * allocating *function*, so its line is the function's first line, and a location without a map
 * is the generated JavaScript.
 */
export function frameNote(frame: SiteFrame): string {
  const where = 'line where the allocating function starts';
  return frame.source.mapped ? `${where} (source-mapped from ${frame.url}:${frame.line})` : `${where}, in the generated script (${frame.source.note || 'no source map'})`;
}

/** "+3.1 MB/h, live 12 MB": how fast its live bytes grow and how much is alive now. */
export function siteGrowthText(site: AllocSite): string {
  const live = site.liveBytes[site.liveBytes.length - 1] ?? 0;
  return `${formatRatePerHour(site.slopeBytesPerHour)}, live ${formatBytes(live)}`;
}
