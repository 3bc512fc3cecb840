import type { ProcessEntry } from '../../../src/api';
import { el } from '../common/dom';
import { formatBytes, formatRatePerHour } from '../common/format';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 160;
const HEIGHT = 36;
const PAD = 2;

/**
 * The process a run page shows first: the busiest one that is judged (most samples, then the
 * highest heap), since a launcher (npm, tsx's CLI) only waits for the app. Undefined when the run
 * has at most one process: its rows are the run's, and the page reads them as it always did.
 */
export function busiestProcess(processes: readonly ProcessEntry[]): string | undefined {
  if (processes.length <= 1) return undefined;
  const judged = processes.filter((p) => p.role !== 'launcher');
  const pool = judged.length > 0 ? judged : processes;
  const best = [...pool].sort((a, b) => b.sampleCount - a.sampleCount || (b.latestHeapUsed ?? 0) - (a.latestHeapUsed ?? 0))[0];
  return best?.boot;
}

/** A tiny heap-used line (min-max scaled), drawn as SVG: one per process, cheap to redraw. */
function heapLine(t: readonly number[], values: readonly number[]): SVGSVGElement {
  const root = document.createElementNS(SVG, 'svg');
  for (const [k, v] of Object.entries({ class: 'process-heap', width: String(WIDTH), height: String(HEIGHT), viewBox: `0 0 ${WIDTH} ${HEIGHT}`, 'data-points': String(values.length) })) root.setAttribute(k, v);
  if (values.length === 0) return root;
  const t0 = t[0] ?? 0;
  const tSpan = (t[t.length - 1] ?? t0) - t0;
  const lo = Math.min(...values);
  const vSpan = Math.max(...values) - lo;
  const points = values.map((v, i) => {
    const fx = tSpan > 0 ? ((t[i] ?? t0) - t0) / tSpan : 0.5;
    const fy = vSpan > 0 ? (v - lo) / vSpan : 0.5;
    return `${(PAD + fx * (WIDTH - 2 * PAD)).toFixed(1)},${(HEIGHT - PAD - fy * (HEIGHT - 2 * PAD)).toFixed(1)}`;
  });
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.join(' '));
  line.setAttribute('fill', 'none');
  root.append(line);
  return root;
}

function verdictText(p: ProcessEntry): string {
  if (p.verdict === null) return p.role === 'launcher' ? 'launcher, not judged' : 'not judged';
  const slope = p.floorSlopeBytesPerHour === null ? '' : `, floor ${formatRatePerHour(p.floorSlopeBytesPerHour)}`;
  return `${p.verdict}${slope}`;
}

export interface ProcessPicker {
  /** Draws the processes (oldest first, as the API lists them) with `chosen` marked. */
  render(processes: readonly ProcessEntry[], chosen: string | undefined, worst: string | null): void;
  /** One process's heap used over the run, for its small chart. */
  setHeap(boot: string, t: readonly number[], heapUsed: readonly number[]): void;
}

/**
 * The run's processes as a small multiple: one tiny heap chart per process, labelled with its
 * role and pid ("worker 2 (pid 1234, node server.js)"), its own verdict and floor slope. Pressing
 * one picks the process the page's charts and verdict follow. Hidden for a single-process run.
 * `data-boot`, `aria-pressed` and `data-worst` are for tests.
 */
export function createProcessPicker(host: HTMLElement, onPick: (boot: string) => void): ProcessPicker {
  const grid = el('div', { class: 'process-multiples', role: 'group', 'aria-label': 'processes of the run' });
  const section = el('section', { class: 'process-picker' }, el('h2', {}, 'Processes'), grid);
  section.hidden = true;
  host.append(section);
  const cells = new Map<string, { cell: HTMLButtonElement; chart: HTMLElement }>();

  return {
    render(processes, chosen, worst) {
      section.hidden = processes.length <= 1;
      const seen = new Set<string>();
      for (const p of processes) {
        seen.add(p.boot);
        let entry = cells.get(p.boot);
        if (!entry) {
          const chart = el('div', { class: 'process-chart' });
          const cell = el('button', { type: 'button', class: 'process-cell', 'data-boot': p.boot });
          cell.addEventListener('click', () => onPick(p.boot));
          entry = { cell, chart };
          cells.set(p.boot, entry);
        }
        const { cell, chart } = entry;
        cell.dataset.role = p.role;
        cell.dataset.worst = String(p.boot === worst);
        cell.setAttribute('aria-pressed', String(p.boot === chosen));
        cell.title = p.argv.join(' ');
        cell.replaceChildren(
          el('span', { class: 'process-label' }, p.label),
          chart,
          el('span', { class: 'process-verdict', 'data-verdict': p.verdict ?? 'none' }, verdictText(p)),
          el('span', { class: 'hint' }, `${p.sampleCount.toLocaleString('en-US')} samples, heap ${formatBytes(p.latestHeapUsed)}`),
        );
        grid.append(cell);
      }
      for (const [boot, { cell }] of cells) {
        if (seen.has(boot)) continue;
        cell.remove();
        cells.delete(boot);
      }
    },
    setHeap(boot, t, heapUsed) {
      cells.get(boot)?.chart.replaceChildren(heapLine(t, heapUsed));
    },
  };
}
