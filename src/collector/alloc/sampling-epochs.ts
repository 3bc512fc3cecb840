import { MIN_WINDOWS } from '../../trend/floor-series';
import type { SeriesPoint, TrendOptions } from '../../trend/trend-model';
import type { StoredAllocBoot, StoredAllocSite } from '../../store/store-interface';
import { judgeSite, siteSeries, siteWindow, type SiteGrowth } from './growing-sites';

/*
 * Sampling epochs. V8's sampling heap profiler counts only the samples of objects allocated
 * since it started, so when the probe stops and starts it again (after heap snapshots, to free
 * the string table V8 keeps for both: the probe's alloc-sampler.ts), every site's live bytes
 * begin again from nothing. Across such a restart a site's series is a sawtooth that says
 * nothing about growth: a leaking site and a steady one both drop to zero. And it cannot be
 * stitched: the objects alive before the restart are no longer counted, and how many of them are
 * still alive is unknown (a leak's all are; a cache's drain away), so adding the old level would
 * make every steady site grow. Each epoch is therefore judged on its own, like a process of its
 * own, with its own warm-up (the first profiles after a restart refill to the steady level), and
 * a site is judged by the newest epoch that has enough points: growth is about now, and the
 * probe keeps epochs long enough (at least 15 profiles) for a full judgement.
 * Profiles name their epoch by `startedAt` (when sampling started for them).
 */

export interface ProfileEpoch {
  startedAt: number;
  /** Its profiles' times, oldest first, and what each remainder held. */
  t: number[];
  otherSites: number[];
}

/** The boot's profiles grouped by epoch, oldest first (consecutive profiles with one `startedAt`). */
export function profileEpochs(boot: Pick<StoredAllocBoot, 'profiles' | 'epochs' | 'otherSites'>): ProfileEpoch[] {
  const epochs: ProfileEpoch[] = [];
  boot.profiles.forEach((t, i) => {
    const startedAt = boot.epochs[i] ?? 0;
    let last = epochs[epochs.length - 1];
    if (!last || last.startedAt !== startedAt) {
      last = { startedAt, t: [], otherSites: [] };
      epochs.push(last);
    }
    last.t.push(t);
    last.otherSites.push(boot.otherSites[i] ?? 0);
  });
  return epochs;
}

/** A site's points that fall in an epoch: from its first profile up to the next epoch's first. */
function siteInEpoch(site: Pick<StoredAllocSite, 't' | 'liveBytes'>, from: number, until: number): { t: number[]; liveBytes: number[] } {
  const t: number[] = [];
  const liveBytes: number[] = [];
  site.t.forEach((at, i) => {
    if (at >= from && at < until) {
      t.push(at);
      liveBytes.push(site.liveBytes[i]);
    }
  });
  return { t, liveBytes };
}

export interface EpochJudgement extends SiteGrowth {
  /** The epoch that decided (its `startedAt`), and how many epochs the boot had. */
  epochStartedAt: number;
  epochs: number;
}

/**
 * Judges one site by the newest epoch whose analysed window (after that epoch's warm-up) holds
 * at least MIN_WINDOWS of the site's points; when none does, by the newest epoch (which then
 * reads "too few points"). `growthBytes` is the deciding epoch's first-to-last change.
 */
export function judgeSiteByEpochs(
  epochs: readonly ProfileEpoch[],
  site: Pick<StoredAllocSite, 't' | 'liveBytes'>,
  intervalBytes: number,
  trend: Partial<TrendOptions> = {},
): EpochJudgement {
  const judgeOne = (index: number): { growth: SiteGrowth; enough: boolean } => {
    const epoch = epochs[index];
    const until = epochs[index + 1]?.t[0] ?? Infinity;
    const own = siteInEpoch(site, epoch.t[0] ?? -Infinity, until);
    const series: SeriesPoint[] = siteSeries(epoch, own);
    const window = siteWindow(epoch.t.length > 0 ? epoch.t : own.t, trend);
    const inWindow = series.filter((p) => p.t >= window.fromTs && p.t <= window.toTs).length;
    return { growth: judgeSite(series, window, intervalBytes, trend), enough: inWindow >= MIN_WINDOWS };
  };
  if (epochs.length === 0) {
    // A site without profile rows (never written by ingest): one epoch of its own points.
    return { ...judgeSite(siteSeries({ t: [], otherSites: [] }, site), siteWindow(site.t, trend), intervalBytes, trend), epochStartedAt: 0, epochs: 0 };
  }
  for (let i = epochs.length - 1; i >= 0; i--) {
    const { growth, enough } = judgeOne(i);
    if (enough) return { ...growth, epochStartedAt: epochs[i].startedAt, epochs: epochs.length };
  }
  const newest = epochs.length - 1;
  return { ...judgeOne(newest).growth, epochStartedAt: epochs[newest].startedAt, epochs: epochs.length };
}
