/**
 * What the run page shows: either it follows the newest data over a trailing window
 * (null: the whole run), or a fixed range the user dragged out on a chart.
 */
export type ViewRange = { kind: 'follow'; windowMs: number | null } | { kind: 'fixed'; from: number; to: number };

export const WINDOWS: { label: string; key: string; ms: number | null }[] = [
  { label: '15 m', key: '15m', ms: 15 * 60_000 },
  { label: '1 h', key: '1h', ms: 60 * 60_000 },
  { label: '6 h', key: '6h', ms: 6 * 60 * 60_000 },
  { label: 'all', key: 'all', ms: null },
];

/** Reads `?range=15m` or `?from=…&to=…` so a view can be shared as a link. */
export function viewFromQuery(params: URLSearchParams): ViewRange {
  const from = Number(params.get('from'));
  const to = Number(params.get('to'));
  if (params.has('from') && params.has('to') && Number.isFinite(from) && Number.isFinite(to) && from < to) return { kind: 'fixed', from, to };
  const window = WINDOWS.find((w) => w.key === params.get('range'));
  return { kind: 'follow', windowMs: window ? window.ms : null };
}

/** The query string for `view` (empty for the default: follow the whole run). */
export function viewToQuery(view: ViewRange): string {
  if (view.kind === 'fixed') return `?from=${Math.floor(view.from)}&to=${Math.ceil(view.to)}`;
  const window = WINDOWS.find((w) => w.ms === view.windowMs);
  return window && window.ms !== null ? `?range=${window.key}` : '';
}
