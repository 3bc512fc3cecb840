import type { AllocSite, RunSummary, SuspectSummary, SuspectWatch, TrendResult, VerdictBody } from '../../../src/api';
import { frameText } from '../../../src/shared/alloc-data';
import { topSuspectPath } from '../../../src/shared/suspect-data';
import { confidenceText } from '../../../src/trend/reason-text';
import { ApiError, fetchVerdict } from '../common/collector-api';
import { el } from '../common/dom';
import { formatRatePerHour } from '../common/format';
import type { VerdictThresholds } from '../common/verdict-query';
import { siteGrowthText, siteLocationText } from '../alloc/site-text';
import { suspectSummaryText } from '../suspects/suspect-text';
import { resultBadge, verdictBadge } from './verdict-badge';

/** A live run's verdict is asked for again this often: it changes as the floor grows. */
export const VERDICT_REFRESH_MS = 15_000;

export interface RunVerdictOptions {
  runId: string;
  thresholds: VerdictThresholds;
  /** A new result arrived (to draw its floor and trend on the heap chart). */
  onResult(result: TrendResult): void;
  /** The process the page shows (its boot), whose own verdict is asked for; undefined: the run's (its worst process). */
  boot?: () => string | undefined;
}

/** "suspect 1: responseCache (Map) +1,200 entries (+2,400/h), +1.1 MB/h, LeakShare … — its path". */
function suspectLine(suspect: SuspectSummary, rank: number): HTMLLIElement {
  const path = topSuspectPath(suspect);
  return el('li', { 'data-rank': String(rank) }, el('strong', {}, `suspect ${rank}: `), suspectSummaryText(suspect), path ? ' — ' : null, path ? el('code', {}, path) : null);
}

/** "allocated at src/audit.ts:20 remember(), +3.1 MB/h, live 12 MB": a growing allocation site. */
function siteLine(site: AllocSite, rank: number): HTMLLIElement {
  return el('li', { 'data-site-rank': String(rank) }, el('strong', {}, `growing allocation site ${rank}: `), el('code', {}, siteLocationText(site)), ` ${siteGrowthText(site)}`);
}

/** "adds to @123: src/audit.ts:20 remember() (37 of 40 sampled calls)": what watching a suspect found. */
function watchLine(watch: SuspectWatch): HTMLLIElement | null {
  const top = watch.callers[0];
  if (watch.state !== 'done' || !top) return null;
  const caller = top.frames[0];
  return el('li', { 'data-watch': String(watch.objectId) }, el('strong', {}, `adds to @${watch.objectId}: `), el('code', {}, caller ? frameText(caller) : '(unknown caller)'), ` ${top.method}, ${top.count} of ${watch.sampled} sampled calls`);
}

/**
 * The verdict line of the run page: badge, heap-floor slope, under a leak the top growth
 * suspects (what grows, how fast, who holds it), and every reason in small text.
 * Refetches every VERDICT_REFRESH_MS while the run is live and once more when it stops being
 * live; `dispose()` clears the timer. `data-verdict` on the line and on <body> is for tests.
 */
export function createRunVerdict(host: HTMLElement, options: RunVerdictOptions) {
  const badgeHost = el('span', {}, verdictBadge('pending', 'asking the collector'));
  const slope = el('span', { class: 'verdict-slope', 'data-role': 'slope' });
  const confidence = el('span', { class: 'verdict-confidence' });
  const limits = Object.entries(options.thresholds).map(([key, value]) => `${key} ${value}`).join(', ');
  const culprits = el('ol', { class: 'verdict-suspects', hidden: '' });
  const reasons = el('ul', { class: 'verdict-reasons' });
  const line = el(
    'section',
    { class: 'verdict-line', 'data-verdict': 'pending' },
    el('div', { class: 'verdict-head' }, el('strong', {}, 'Leak verdict'), badgeHost, slope, confidence, limits ? el('span', { class: 'hint' }, `thresholds: ${limits}`) : null),
    culprits,
    reasons,
  );
  host.append(line);

  let timer: number | undefined;
  let abort: AbortController | null = null;
  let status: RunSummary['status'] | null = null;
  let disposed = false;

  function setState(state: string): void {
    line.dataset.verdict = state;
    document.body.dataset.verdict = state;
  }

  function show(result: VerdictBody): void {
    badgeHost.replaceChildren(resultBadge(result));
    const floor = result.signals.find((s) => s.signal === 'heap floor');
    // No slope before the detector had enough run to fit one (too short, too few points).
    // Which points the floor came from: measured ones are exact, the rolling minimum the least sure.
    const source = floor?.floorSource === 'measured' ? ' (measured)' : floor?.floorSource === 'rolling minimum' ? ' (rolling minimum)' : floor?.floorSource ? " (V8's major GCs)" : '';
    slope.textContent = floor && floor.line ? `heap floor ${formatRatePerHour(floor.slopeBytesPerHour)}${source}` : '';
    confidence.textContent = result.verdict === 'inconclusive' ? '' : confidenceText(result.confidence);
    // The API sends suspects only under a leak; the check here keeps the line honest regardless.
    const leak = result.verdict === 'leak';
    const named = leak ? result.suspects : [];
    const lines = [
      ...named.map((s, i) => suspectLine(s, i + 1)),
      ...(leak ? result.watches : []).map(watchLine).filter((line) => line !== null),
      ...(leak ? result.sites : []).map((s, i) => siteLine(s, i + 1)),
    ];
    culprits.replaceChildren(...lines);
    culprits.hidden = lines.length === 0;
    reasons.replaceChildren(...result.reasons.map((reason) => el('li', {}, reason)));
    setState(result.verdict);
  }

  function showError(err: unknown): void {
    const message = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
    badgeHost.replaceChildren(verdictBadge('error', message));
    culprits.replaceChildren();
    culprits.hidden = true;
    reasons.replaceChildren(el('li', { class: 'verdict-failure' }, message));
    setState('error');
  }

  async function refresh(): Promise<void> {
    abort?.abort();
    const mine = new AbortController();
    abort = mine;
    try {
      const result = await fetchVerdict(options.runId, options.thresholds, mine.signal, options.boot?.());
      if (mine.signal.aborted || disposed) return;
      show(result);
      options.onResult(result);
    } catch (err) {
      if (mine.signal.aborted || disposed) return;
      showError(err);
    }
  }

  function schedule(): void {
    if (timer !== undefined) window.clearInterval(timer);
    timer = status === 'live' && !disposed ? window.setInterval(() => void refresh(), VERDICT_REFRESH_MS) : undefined;
  }

  return {
    /** Asks again now (a snapshot became ready: the leak's suspects may have changed). */
    refresh,
    /** The run's status now: starts the first fetch, keeps polling while live, one last fetch when it ends. */
    setStatus(next: RunSummary['status']): void {
      if (disposed || next === status) return;
      const first = status === null;
      const wasLive = status === 'live';
      status = next;
      schedule();
      if (first || wasLive) void refresh();
    },
    dispose(): void {
      disposed = true;
      abort?.abort();
      schedule();
    },
  };
}

export type RunVerdict = ReturnType<typeof createRunVerdict>;
