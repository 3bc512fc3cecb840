import type { RunSummary } from '../../../src/api';
import { el } from './dom';
import { formatDuration } from './format';

/** The coloured live / ended / lost badge. */
export function statusBadge(status: RunSummary['status']): HTMLElement {
  return el('span', { class: `status status-${status}`, title: STATUS_HELP[status] }, status);
}

const STATUS_HELP: Record<RunSummary['status'], string> = {
  live: 'samples are still arriving',
  ended: 'the run was closed',
  lost: 'no data for a while and never closed',
};

/** Wall time covered by a run: until now while live, else until its end or last sample. */
export function runDurationMs(run: RunSummary, now = Date.now()): number | null {
  if (run.status === 'live') return now - run.startedAt;
  const end = run.endedAt ?? run.lastSampleAt;
  return end === null ? null : end - run.startedAt;
}

export function formatRunDuration(run: RunSummary, now = Date.now()): string {
  return formatDuration(runDurationMs(run, now));
}

/** Labels as small `key=value` chips. */
export function labelChips(labels: Record<string, string>): HTMLElement {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return el('span', { class: 'muted' }, '–');
  return el('span', { class: 'chips' }, ...entries.map(([k, v]) => el('span', { class: 'chip' }, `${k}=${v}`)));
}
