import type { AllocSitesBody } from '../../api/http-contract';
import type { AllocSite, SiteFrame } from '../../shared/alloc-data';
import type { SnapshotSuspects } from '../../shared/suspect-data';
import type { Store, StoredAllocBoot, StoredAllocSite } from '../../store/store-interface';
import type { TrendOptions } from '../../trend/trend-model';
import { generatedLocation, type GeneratedLocation, type LocationResolver } from '../source-maps/location-resolver';
import type { SiteGrowth } from './growing-sites';
import { judgeSiteByEpochs, profileEpochs } from './sampling-epochs';
import { matchingSuspectIds } from './site-matching';

/** Sites per process the route returns unless asked for another number, and the most it will. */
export const DEFAULT_SITE_LIMIT = 20;
export const MAX_SITE_LIMIT = 1000;
/** How many growing sites a `leak` verdict names. */
export const VERDICT_SITES = 3;

export interface AllocSitesDeps {
  store: Store;
  resolver: LocationResolver;
  /** The run's suspects per process (newest first, as the snapshot service gives them); [] for none. */
  suspects: readonly SnapshotSuspects[];
}

export interface AllocSitesQuery {
  limit: number;
  growingOnly: boolean;
  /** The verdict's thresholds (slope, warm-up, alpha), which the site rules scale. */
  trend?: Partial<TrendOptions>;
}

type Judged = { boot: string; stored: StoredAllocSite; growth: SiteGrowth; lastLive: number };

/** Growing first, steepest first; then the others by their latest live bytes. */
function bySignificance(a: Judged, b: Judged): number {
  if (a.growth.growing !== b.growth.growing) return a.growth.growing ? -1 : 1;
  if (a.growth.growing) return b.growth.slopeBytesPerHour - a.growth.slopeBytesPerHour;
  return b.lastLive - a.lastLive || a.stored.siteId.localeCompare(b.stored.siteId);
}

function judgeBoot(boot: StoredAllocBoot, query: AllocSitesQuery): Judged[] {
  // Each sampling epoch on its own (sampling-epochs.ts): a restart of V8's sampler resets every site.
  const epochs = profileEpochs(boot);
  const judged = boot.sites.map((stored) => ({
    boot: boot.boot,
    stored,
    growth: judgeSiteByEpochs(epochs, stored, boot.intervalBytes, query.trend),
    lastLive: stored.liveBytes[stored.liveBytes.length - 1] ?? 0,
  }));
  return judged.filter((j) => !query.growingOnly || j.growth.growing).sort(bySignificance).slice(0, query.limit);
}

/**
 * `GET /api/runs/:id/alloc-sites` (and the verdict's sites): the stored profiles judged per
 * process, each process's top `limit` sites, their frames source-mapped in one resolver call for
 * the whole answer, and matched to the suspects of the same process (node ids and stacks belong
 * to one process).
 */
export async function readAllocSites(deps: AllocSitesDeps, runId: string, query: AllocSitesQuery): Promise<AllocSitesBody> {
  const stored = await deps.store.queryAllocSites(runId);
  const perBoot = stored.map((boot) => ({ boot, judged: judgeBoot(boot, query) }));
  const locations: GeneratedLocation[] = [];
  for (const { judged } of perBoot) for (const j of judged) for (const f of j.stored.frames) locations.push({ url: f.url, line: f.line, col: f.col, fn: f.fn });
  const sources = locations.length > 0 ? await deps.resolver.resolve(runId, locations) : [];
  let next = 0;
  return {
    boots: perBoot.map(({ boot, judged }) => {
      const suspects = deps.suspects.find((s) => s.boot === boot.boot)?.suspects ?? [];
      const sites = judged.map((j): AllocSite => {
        // A resolver that answers short leaves the rest generated rather than undefined.
        const frames: SiteFrame[] = j.stored.frames.map((f) => ({ ...f, source: sources[next++] ?? generatedLocation({ ...f }, 'not resolved') }));
        return {
          siteId: j.stored.siteId,
          boot: j.boot,
          frames,
          t: j.stored.t,
          liveBytes: j.stored.liveBytes,
          samples: j.stored.samples,
          slopeBytesPerHour: j.growth.slopeBytesPerHour,
          pValue: j.growth.pValue,
          growing: j.growth.growing,
          growthBytes: j.growth.growthBytes,
          suspectIds: matchingSuspectIds(frames, suspects),
        };
      });
      return { boot: boot.boot, profiles: boot.profiles.length, intervalBytes: boot.intervalBytes, sites };
    }),
  };
}

/** The verdict's sites: the steepest growing sites of the run, whichever process they are in (or of the processes `boots`). */
export async function verdictSites(deps: AllocSitesDeps, runId: string, trend: Partial<TrendOptions>, boots?: readonly string[]): Promise<AllocSite[]> {
  const body = await readAllocSites(deps, runId, { limit: VERDICT_SITES, growingOnly: true, trend });
  return body.boots
    .filter((b) => boots === undefined || boots.includes(b.boot))
    .flatMap((b) => b.sites)
    .sort((a, b) => b.slopeBytesPerHour - a.slopeBytesPerHour)
    .slice(0, VERDICT_SITES);
}
