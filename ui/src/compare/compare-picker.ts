import { el } from '../common/dom';
import { withThresholds, type VerdictThresholds } from '../common/verdict-query';

/**
 * Picking two runs on the runs list to compare: a checkbox per row and a Compare button that
 * opens `/compare?a=<older>&b=<newer>` once exactly two are picked. The picks survive the
 * list's re-renders (it is rebuilt on every poll).
 */
export function createComparePicker(thresholds: VerdictThresholds, startedAt: (runId: string) => number | undefined) {
  const picked = new Set<string>();
  const button = el('button', { type: 'button', class: 'compare-button', disabled: '' }, 'Compare 2 runs');
  const hint = el('span', { class: 'muted compare-hint' }, 'pick two runs to compare');
  const update = () => {
    button.disabled = picked.size !== 2;
    hint.textContent = picked.size === 2 ? '' : `pick ${2 - Math.min(picked.size, 2)} more run${picked.size === 1 ? '' : 's'} to compare`;
    if (picked.size > 2) hint.textContent = 'pick only two runs';
  };
  button.addEventListener('click', () => {
    if (picked.size !== 2) return;
    const [a, b] = [...picked].sort((x, y) => (startedAt(x) ?? 0) - (startedAt(y) ?? 0));
    location.assign(`/compare${withThresholds(`?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`, thresholds)}`);
  });
  return {
    bar: el('div', { class: 'compare-bar' }, button, hint),
    /** The row's first cell: its checkbox, kept checked across re-renders. */
    cell(runId: string): HTMLTableCellElement {
      const box = el('input', { type: 'checkbox', class: 'compare-pick', 'aria-label': `compare ${runId}` });
      box.checked = picked.has(runId);
      box.addEventListener('click', (event) => event.stopPropagation());
      box.addEventListener('change', () => {
        if (box.checked) picked.add(runId);
        else picked.delete(runId);
        update();
      });
      const cell = el('td', { class: 'pick' }, box);
      // The row is a link to the run; picking must not follow it.
      cell.addEventListener('click', (event) => event.stopPropagation());
      return cell;
    },
  };
}
