import type { AllocSitesBody } from '../../../src/api';
import { fetchAllocSites } from '../common/collector-api';
import { el } from '../common/dom';
import { createPanelRefresh } from '../common/panel-refresh';
import { formatBytes } from '../common/format';
import { siteItem } from './site-item';

type BootSites = AllocSitesBody['boots'][number];

function bootFacts(boot: BootSites): string {
  return `process ${boot.boot}: ${boot.profiles} allocation profile(s), one sample per ${formatBytes(boot.intervalBytes)} allocated on average`;
}

/**
 * The run page's "Allocation sites" section, beside the growth suspects: per process, the sites
 * V8's sampling heap profiler saw (growing ones first), with their live bytes over time, the
 * source-mapped line and the stack. No snapshot is needed: this is the pause-free view.
 * Read when the page opens, on each `alloc-profile` push from /live and on a (re)connect.
 * `data-state` (loading, ready, empty, error) and `data-growing` (how many grow) are for tests.
 */
export function createSitesPanel(host: HTMLElement, runId: string) {
  const errorLine = el('p', { class: 'snap-error', role: 'alert', hidden: '' });
  const body = el('div', { class: 'suspects-body' });
  const root = el(
    'section',
    { class: 'suspects sites', 'data-section': 'alloc-sites', 'data-state': 'loading' },
    el(
      'header',
      { class: 'snap-head' },
      el('h2', {}, 'Allocation sites'),
      el('p', { class: 'hint' }, 'where the objects still alive were allocated, from V8\u2019s sampling heap profiler (no snapshot, no pause); growing sites first'),
    ),
    errorLine,
    body,
  );
  host.append(root);

  function render(boots: BootSites[]): void {
    const withSites = boots.filter((b) => b.sites.length > 0);
    const growing = withSites.reduce((n, b) => n + b.sites.filter((s) => s.growing).length, 0);
    root.dataset.growing = String(growing);
    if (withSites.length === 0) {
      root.dataset.state = 'empty';
      body.replaceChildren(el('p', { class: 'hint suspects-empty' }, boots.length === 0 ? 'No allocation profile yet: the probe sends one a minute (unless allocation sampling is off).' : 'No sampled allocation is alive.'));
      return;
    }
    root.dataset.state = 'ready';
    body.replaceChildren(
      ...withSites.map((boot) =>
        el(
          'div',
          { class: 'suspects-boot', 'data-boot': boot.boot },
          el('p', { class: 'hint snap-facts' }, bootFacts(boot), boot.sites.some((s) => s.growing) ? '' : '; none grows'),
          el('ol', { class: 'suspect-list' }, ...boot.sites.map((s, i) => siteItem(s, i + 1))),
        ),
      ),
    );
  }

  const refresh = createPanelRefresh(root, errorLine, () => fetchAllocSites(runId), render);

  return {
    refresh,
    /** On a (re)connect, catch up on profiles stored while away. */
    setLive(connected: boolean): void {
      if (connected) void refresh();
    },
  };
}

export type SitesPanel = ReturnType<typeof createSitesPanel>;
