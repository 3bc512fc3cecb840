import { median } from '../common/stats';

/** Budget from the issue: 10,000 locations through a 5 MB map in under a second, cold. */
export const BUDGET_MS = 1000;

export interface ResolveRound {
  /** Read + JSON.parse of the same map: the least any resolver must do. */
  baselineMs: number;
  /** A new resolver: reading, parsing (WebAssembly) and 10,000 lookups. */
  coldMs: number;
  /** The same 10,000 again with the parsed map cached. */
  warmMs: number;
  mapped: number;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** The printout of `npm run bench:source-map`: medians over the rounds, the budget, the ratio to the baseline. */
export function formatReport(info: { mapBytes: number; lines: number; locations: number; rounds: ResolveRound[] }): { text: string; withinBudget: boolean } {
  const cold = median(info.rounds.map((r) => r.coldMs));
  const warm = median(info.rounds.map((r) => r.warmMs));
  const baseline = median(info.rounds.map((r) => r.baselineMs));
  const mapped = Math.min(...info.rounds.map((r) => r.mapped));
  const withinBudget = cold < BUDGET_MS;
  const lines = [
    `source map: ${(info.mapBytes / 1024 / 1024).toFixed(2)} MB, ${info.lines} generated lines; ${info.locations} locations spread over them; median of ${info.rounds.length} rounds`,
    `baseline (read + JSON.parse):          ${ms(baseline)}`,
    `cold resolve (read, parse, lookups):   ${ms(cold)}   ${(cold / baseline).toFixed(2)}x the baseline   budget < ${BUDGET_MS} ms: ${withinBudget ? 'ok' : 'OVER'}`,
    `warm resolve (map cached):             ${ms(warm)}   ${(warm / baseline).toFixed(2)}x the baseline   ${((warm * 1000) / info.locations).toFixed(2)} µs per location`,
    `mapped: ${mapped} of ${info.locations}`,
  ];
  return { text: lines.join('\n'), withinBudget };
}
