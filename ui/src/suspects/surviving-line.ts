import type { SnapshotSuspects } from '../../../src/api';
import { el } from '../common/dom';
import { formatBytes, formatCountDelta } from '../common/format';

/** The types shown in the line (the collector keeps up to 10). */
const SHOWN = 5;

/**
 * "Surviving new objects: CachedResponse +800 (37.5 KB; +400, +400 per snapshot), …": the types
 * whose objects allocated during the window are still alive (src/snapshot/surviving-types.ts),
 * with what each middle snapshot added and kept, so that steady accumulation shows. Null when the
 * process has none. `data-surviving` is for tests.
 */
export function survivingLine(boot: SnapshotSuspects): HTMLElement | null {
  // A file written before the surviving types were kept has none.
  const types = (boot.survivingTypes ?? []).slice(0, SHOWN);
  if (types.length === 0) return null;
  const items = types.map((t) => {
    const steps = t.steps.map((s) => formatCountDelta(s.count)).join(', ');
    return el('span', { class: 'surviving-type', 'data-type': t.type }, el('strong', {}, t.type), ` ${formatCountDelta(t.count)} (${formatBytes(t.selfSize)}; ${steps} per snapshot)`);
  });
  const list: Array<HTMLElement | string> = [];
  items.forEach((item, i) => list.push(...(i === 0 ? [item] : [', ', item])));
  return el('p', { class: 'hint surviving-types', 'data-surviving': String(types.length) }, 'Surviving new objects: ', ...list);
}
