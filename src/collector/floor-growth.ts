import type { Store } from '../store/store-interface';
import { theilSenSlope } from '../trend/theil-sen';

/** Buckets of the GC series read for one window: enough for a robust slope, cheap for Theil-Sen's O(n^2). */
const FLOOR_POINTS = 200;

/**
 * How much the heap floor (heap used after major GCs, the trend's leak signal) grew between two
 * times of a run: the Theil-Sen slope of the per-bucket floors (robust to a GC that happened to
 * find more garbage) times the span. Null when fewer than 3 buckets had a major GC: then a
 * suspect's share of the floor's growth is unknown rather than guessed.
 */
export async function floorGrowthBetween(store: Store, runId: string, from: number, to: number): Promise<number | null> {
  if (!(to > from)) return null;
  const gc = await store.queryGc(runId, { from, to, points: FLOOR_POINTS });
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < gc.t.length; i++) {
    const floor = gc.floor[i];
    if (floor !== null && floor !== undefined) {
      t.push(gc.t[i]);
      v.push(floor);
    }
  }
  if (t.length < 3) return null;
  return theilSenSlope(t, v) * (to - from);
}
