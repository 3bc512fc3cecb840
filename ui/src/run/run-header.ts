import type { RunSummary, Sample } from '../../../src/api';
import { el } from '../common/dom';
import { formatBytes, formatDateTime, formatDuration } from '../common/format';
import { formatRunDuration, labelChips, statusBadge } from '../common/status-badge';

/** The run page header: name, status and the facts a user checks first. */
export function createRunHeader(host: HTMLElement) {
  const title = el('h1', {});
  const badge = el('span', {});
  const meta = el('dl', { class: 'run-meta' });
  host.append(el('div', { class: 'run-title' }, el('a', { href: '/', class: 'back' }, '← runs'), title, badge), meta);

  let run: RunSummary | null = null;
  const cells = new Map<string, HTMLElement>();

  function field(name: string, value: Node | string, wide = false): void {
    let dd = cells.get(name);
    if (!dd) {
      dd = el('dd', {});
      cells.set(name, dd);
      meta.append(el('div', { class: wide ? 'meta wide' : 'meta' }, el('dt', {}, name), dd));
    }
    dd.replaceChildren(value);
  }

  function renderFacts(): void {
    if (!run) return;
    field('started', formatDateTime(run.startedAt));
    field('duration', formatRunDuration(run));
    const every = run.intervalMs < 1000 ? `${run.intervalMs} ms` : formatDuration(run.intervalMs);
    field('samples', `${run.sampleCount.toLocaleString()} (every ${every})`);
    field('latest heap used', formatBytes(run.latestHeapUsed));
    field('host / pid', `${run.host} / ${run.pid}`);
    field('node', run.nodeVersion);
    field('exit code', run.exitCode === null ? '–' : String(run.exitCode));
    field('labels', labelChips(run.labels));
    field('command', el('code', {}, run.argv.join(' ')), true);
  }

  return {
    render(next: RunSummary): void {
      run = { ...next };
      title.textContent = run.name;
      badge.replaceChildren(statusBadge(run.status));
      document.title = `${run.name} · leakwatch`;
      renderFacts();
    },
    /** Live samples arrived: bump the counters without a round trip. */
    noteSamples(samples: Sample[]): void {
      if (!run || samples.length === 0) return;
      const newest = samples.reduce((a, b) => (b.ts > a.ts ? b : a));
      run.sampleCount += samples.length;
      if (run.lastSampleAt === null || newest.ts >= run.lastSampleAt) {
        run.lastSampleAt = newest.ts;
        run.latestHeapUsed = newest.heapUsed;
      }
      renderFacts();
    },
    /** Re-renders the clock-dependent facts (duration of a live run). */
    tick(): void {
      renderFacts();
    },
    current(): RunSummary | null {
      return run;
    },
  };
}
