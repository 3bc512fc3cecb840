import type { SnapshotConfig } from '../shared/probe-config';
import type { SnapshotTrigger } from '../shared/snapshot-data';

/** What one sampler tick knows about the heap; all of it read already, nothing extra. */
export interface HeapReading {
  now: number;
  heapUsed: number;
  heapLimit: number;
  /** Heap used right after the latest major GC of this tick, if there was one. */
  floor: number | undefined;
}

/**
 * The near-limit trigger re-arms once heap used has fallen this far (a share of the limit) below
 * its threshold, so a heap hovering around the threshold is not snapshotted at every crossing.
 */
const NEAR_LIMIT_REARM_SHARE = 0.05;

/**
 * Decides, once per sampler tick, whether an automatic snapshot is due. Plain arithmetic on
 * numbers the tick already has.
 *
 * - schedule: every `everyMs` since the probe started or since the last scheduled snapshot.
 * - growth: the heap floor (heap used after a major GC, the leak signal the GC observer reports)
 *   grew by `growthShare` since the floor at the last snapshot of any kind (before the first one:
 *   the first floor seen).
 * - near-limit: heap used reached `nearLimitShare` of V8's heap limit. It fires at most once per
 *   approach: it re-arms only after heap used fell back 5 points of the limit below the
 *   threshold.
 * Growth and near-limit snapshots are at least `minGapMs` apart (each costs the app V8's full
 * pause and a lot of memory). A trigger that finds the snapshotter busy or the collector away
 * stays due and fires on a later tick; the caller reports every snapshot it starts (taken or
 * refused by the headroom guard) with `started`, which is what resets the conditions, so a
 * refusal is not retried at every tick.
 */
export function createSnapshotTriggers(config: Pick<SnapshotConfig, 'everyMs' | 'growthShare' | 'nearLimitShare' | 'minGapMs'>, startedAt: number) {
  let lastScheduledAt = startedAt;
  let lastTriggeredAt = Number.NEGATIVE_INFINITY;
  let floor: number | undefined;
  let baseline: number | undefined;
  let nearLimitArmed = true;

  return {
    due(reading: HeapReading): SnapshotTrigger | undefined {
      if (reading.floor !== undefined) {
        floor = reading.floor;
        baseline ??= floor;
      }
      const gapOk = reading.now - lastTriggeredAt >= config.minGapMs;
      if (config.nearLimitShare > 0 && reading.heapLimit > 0) {
        const share = reading.heapUsed / reading.heapLimit;
        if (share < config.nearLimitShare - NEAR_LIMIT_REARM_SHARE) nearLimitArmed = true;
        if (nearLimitArmed && share >= config.nearLimitShare && gapOk) return 'near-limit';
      }
      if (config.growthShare > 0 && floor !== undefined && baseline !== undefined && gapOk && floor >= baseline * (1 + config.growthShare)) {
        return 'growth';
      }
      if (config.everyMs > 0 && reading.now - lastScheduledAt >= config.everyMs) return 'schedule';
      return undefined;
    },
    /** A snapshot of any trigger started at `now` (manual ones too: they move the growth baseline). */
    started(trigger: SnapshotTrigger, now: number): void {
      if (floor !== undefined) baseline = floor;
      if (trigger === 'schedule') lastScheduledAt = now;
      if (trigger === 'growth' || trigger === 'near-limit') lastTriggeredAt = now;
      if (trigger === 'near-limit') nearLimitArmed = false;
    },
  };
}

export type SnapshotTriggers = ReturnType<typeof createSnapshotTriggers>;
