import type { TrendResult, Verdict } from '../../../src/api';
import { el } from '../common/dom';

/** What a badge can show: a verdict, not fetched yet, or the fetch failed. */
export type BadgeState = Verdict | 'pending' | 'error';

const TEXT: Record<BadgeState, string> = {
  leak: 'leak',
  'no-leak': 'no leak',
  inconclusive: 'inconclusive',
  pending: '…',
  error: '?',
};

/**
 * The red / green / grey verdict badge. Its title is the first reason (the one that decided), and
 * `data-verdict` carries the state for styles and tests.
 */
export function verdictBadge(state: BadgeState, title?: string): HTMLElement {
  return el('span', { class: `verdict verdict-${state}`, 'data-verdict': state, title }, TEXT[state]);
}

/** The badge for a fetched result. */
export function resultBadge(result: TrendResult): HTMLElement {
  return verdictBadge(result.verdict, result.reasons[0]);
}
