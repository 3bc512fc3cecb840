const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 120;
const HEIGHT = 28;
const PAD = 3;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

/**
 * A suspect's entries at each snapshot of its window as a small inline SVG line: x by when the
 * snapshot was taken (snapshots are rarely evenly spaced), y from the smallest to the largest
 * count, one dot per snapshot. `data-points` and each dot's `data-value` are for tests.
 */
export function suspectSparkline(takenAt: readonly number[], values: readonly number[], title: string): SVGSVGElement {
  const root = svg('svg', { class: 'suspect-sparkline', width: String(WIDTH), height: String(HEIGHT), viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'data-points': String(values.length) });
  const tooltip = svg('title', {});
  tooltip.textContent = title;
  root.append(tooltip);
  if (values.length === 0) return root;
  const t0 = takenAt[0] ?? 0;
  const tSpan = (takenAt[takenAt.length - 1] ?? t0) - t0;
  const lo = Math.min(...values);
  const vSpan = Math.max(...values) - lo;
  const points = values.map((value, i) => {
    // One snapshot, or all taken at once: spread them by index instead.
    const fx = tSpan > 0 ? ((takenAt[i] ?? t0) - t0) / tSpan : values.length > 1 ? i / (values.length - 1) : 0.5;
    // A flat series sits in the middle rather than on the floor.
    const fy = vSpan > 0 ? (value - lo) / vSpan : 0.5;
    return { x: PAD + fx * (WIDTH - 2 * PAD), y: HEIGHT - PAD - fy * (HEIGHT - 2 * PAD), value };
  });
  root.append(svg('polyline', { points: points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' '), fill: 'none' }));
  for (const p of points) root.append(svg('circle', { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: '2', 'data-value': String(p.value) }));
  return root;
}
