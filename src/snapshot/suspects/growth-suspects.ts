import type { SuspectSummary } from '../../shared/suspect-data';
import type { ContainerDigest } from './container-digest';
import { CONTAINER_KINDS, type ContainerKind } from './container-kinds';

/**
 * Which containers keep growing across consecutive snapshots of one process. BLeak (Vilk and
 * Berger, PLDI 2018) calls a heap location a leak root when the number of its outgoing edges
 * increases in every round of a repeated scenario. A service has no rounds, and a real heap has
 * noise (a queue drained while the snapshot was taken), so the rule here is that idea made
 * tolerant of small dips, with one more test that tells a leak from a cache filling to its cap:
 *
 *   1. the container is in every digest of the window (the last `window` snapshots, at least 3);
 *   2. its entries grew by at least `minGrowth` from the first to the last digest;
 *   3. it rose in at least half of the steps, and what it lost in falling steps is at most
 *      `dipTolerance` of what it gained in rising ones ("small dips");
 *   4. it still grows at the end: the last step is a rise of at least `lastStepShare` of the
 *      window's mean step. A cache that grew and then held at its cap fails this.
 *
 * Only digests are read (a few bytes per container), never a graph, so any number of snapshots
 * costs no more than their digests. Result: the suspects by entry growth, largest first.
 */
export interface GrowthOptions {
  window?: number;
  minGrowth?: number;
  dipTolerance?: number;
  lastStepShare?: number;
  /** At most this many suspects, the largest growth first (LeakShare then ranks them). */
  maxSuspects?: number;
}

export const GROWTH_DEFAULTS: Required<GrowthOptions> = { window: 6, minGrowth: 64, dipTolerance: 0.25, lastStepShare: 0.25, maxSuspects: 25 };

/**
 * The growth part of a suspect: the fields of the stored summary (src/shared/suspect-data.ts,
 * documented there) that the digests alone give, with the kind typed.
 */
export type GrowthSuspect = Pick<SuspectSummary, 'id' | 'takenAt' | 'entries' | 'bytes' | 'growth' | 'entriesPerHour' | 'ownBytesPerHour' | 'newSinceId'> & {
  kind: ContainerKind;
};

/** Digests in the order they were taken; fewer than 3 in the window gives no suspects. */
export function findGrowthSuspects(digests: readonly ContainerDigest[], options: GrowthOptions = {}): GrowthSuspect[] {
  const o = { ...GROWTH_DEFAULTS, ...options };
  const window = digests.slice(-Math.max(3, o.window));
  if (window.length < 3) return [];
  const k = window.length;
  const last = window[k - 1];
  const hours = (last.takenAt - window[0].takenAt) / 3_600_000;
  const cursor = new Array<number>(k).fill(0);
  const at = new Array<number>(k);
  const found: GrowthSuspect[] = [];
  for (let i = 0; i < last.count; i++) {
    const id = last.ids[i];
    // Merge join: every digest is sorted by id, so each cursor only moves forward.
    let everywhere = true;
    for (let j = 0; j < k - 1; j++) {
      const d = window[j];
      while (cursor[j] < d.count && d.ids[cursor[j]] < id) cursor[j]++;
      if (cursor[j] >= d.count || d.ids[cursor[j]] !== id) everywhere = false;
      else at[j] = cursor[j];
    }
    if (!everywhere) continue;
    at[k - 1] = i;
    const entries = window.map((d, j) => d.entries[at[j]]);
    if (!keepsGrowing(entries, o)) continue;
    const bytes = window.map((d, j) => d.bytes[at[j]]);
    const growth = entries[k - 1] - entries[0];
    found.push({
      id,
      kind: CONTAINER_KINDS[last.kinds[i]] ?? 'object',
      takenAt: window.map((d) => d.takenAt),
      entries,
      bytes,
      growth,
      entriesPerHour: hours > 0 ? growth / hours : 0,
      ownBytesPerHour: hours > 0 ? (bytes[k - 1] - bytes[0]) / hours : 0,
      newSinceId: window[0].maxNodeId,
    });
  }
  found.sort((a, b) => b.growth - a.growth || a.id - b.id);
  return found.slice(0, o.maxSuspects);
}

/** Rules 2 to 4 on one container's entry counts (exported for the tests of each rule). */
export function keepsGrowing(entries: readonly number[], options: GrowthOptions = {}): boolean {
  const o = { ...GROWTH_DEFAULTS, ...options };
  const steps = entries.length - 1;
  if (steps < 2) return false;
  const growth = entries[steps] - entries[0];
  if (growth < o.minGrowth) return false;
  let gained = 0;
  let lost = 0;
  let rises = 0;
  for (let s = 1; s <= steps; s++) {
    const d = entries[s] - entries[s - 1];
    if (d > 0) {
      gained += d;
      rises++;
    } else {
      lost -= d;
    }
  }
  if (rises * 2 < steps || lost > o.dipTolerance * gained) return false;
  const lastStep = entries[steps] - entries[steps - 1];
  return lastStep > 0 && lastStep >= o.lastStepShare * (growth / steps);
}
