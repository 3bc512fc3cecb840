import { compareRuns } from '../../../src/api';
import { ApiError, apiGet } from '../common/collector-api';
import { createBanner } from '../common/banner';
import { el, setPageState } from '../common/dom';
import { thresholdsFromQuery, thresholdsToParams } from '../common/verdict-query';
import { compareChanges } from './compare-changes';
import { compareSide } from './compare-side';

/**
 * `/compare?a=<run>&b=<run>`: two runs side by side (verdicts, heap-floor slope per process, top
 * suspects and types) and what changed between them, read through the same API calls and the
 * same diff as `leakwatch compare`. The verdict thresholds come from the query like on the run page.
 */
export async function startComparePage(root: HTMLElement): Promise<void> {
  setPageState('loading');
  document.title = 'Compare · leakwatch';
  const params = new URLSearchParams(location.search);
  const a = params.get('a');
  const b = params.get('b');
  const bannerHost = el('div', {});
  root.append(el('div', { class: 'page-title' }, el('h1', {}, 'Compare runs')), bannerHost);
  const banner = createBanner(bannerHost);
  if (!a || !b) {
    banner.show(new ApiError('LW_ERR_BAD_REQUEST', 'name two runs: /compare?a=<run>&b=<run> (or pick two on the runs list)', 400));
    setPageState('error');
    return;
  }
  const thresholds = thresholdsFromQuery(params);
  try {
    const cmp = await compareRuns(apiGet, a, b, thresholdsToParams(thresholds).toString());
    root.append(el('div', { class: 'compare-sides' }, compareSide('a', cmp.a, thresholds), compareSide('b', cmp.b, thresholds)), compareChanges(cmp));
    setPageState('ready');
  } catch (err) {
    banner.show(err);
    setPageState('error');
  }
}
