import type { DependencyChange, RunComparison } from '../../../src/api';
import { el } from '../common/dom';

const FIELD_TEXT: Record<string, string> = {
  appName: 'app name',
  appVersion: 'app version',
  gitCommit: 'git commit',
  gitBranch: 'git branch',
  lockSha256: 'lock file (sha256)',
  nodeVersion: 'Node',
  v8Version: 'V8',
  probeVersion: 'probe',
};

function list(values: string[]): string {
  return values.length === 0 ? '–' : values.join(', ');
}

type Kind = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'changed';

function depRow(kind: Kind, c: DependencyChange): HTMLTableRowElement {
  return el(
    'tr',
    { class: `dep-${kind}`, 'data-kind': kind, 'data-name': c.name },
    el('td', {}, kind),
    el('td', {}, c.name, c.direct ? el('span', { class: 'chip' }, 'direct') : null),
    el('td', { class: 'dep-from' }, list(c.from)),
    el('td', { class: 'dep-to' }, list(c.to)),
  );
}

/** What changed from A to B: the run's identity (version, commit, lock, runtime) and the dependency diff. */
export function compareChanges(cmp: RunComparison): HTMLElement {
  const identity = cmp.changes.map((c) => el('tr', { 'data-field': c.field }, el('td', {}, FIELD_TEXT[c.field] ?? c.field), el('td', {}, list(c.from)), el('td', {}, list(c.to))));
  const d = cmp.dependencies;
  const kinds: Kind[] = ['added', 'removed', 'upgraded', 'downgraded', 'changed'];
  const rows = kinds.flatMap((kind) => d[kind].map((c) => depRow(kind, c)));
  const missing = [cmp.a, cmp.b].filter((s) => s.lineage.length === 0).map((s) => s.run.id);
  return el(
    'section',
    { class: 'compare-changes panel' },
    el('h2', {}, 'What changed from A to B'),
    identity.length
      ? el('table', { class: 'grid compare-identity-changes' }, el('thead', {}, el('tr', {}, el('th', {}, 'what'), el('th', {}, 'A'), el('th', {}, 'B'))), el('tbody', {}, ...identity))
      : el('p', { class: 'muted' }, 'app, commit, lock file and runtime: unchanged'),
    el('h3', {}, 'Dependencies'),
    missing.length
      ? el('p', { class: 'muted' }, `not known: no lineage for ${missing.join(', ')}`)
      : el('p', { class: 'dep-summary' }, `${d.added.length} added, ${d.removed.length} removed, ${d.upgraded.length} upgraded, ${d.downgraded.length} downgraded, ${d.changed.length} changed, ${d.unchanged} unchanged`),
    rows.length
      ? el('table', { class: 'grid compare-deps' }, el('thead', {}, el('tr', {}, ...['change', 'package', 'A', 'B'].map((h) => el('th', {}, h)))), el('tbody', {}, ...rows))
      : null,
  );
}
