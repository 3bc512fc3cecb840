import type { ProcessRef, VerdictBody } from '../api/http-contract';
import type { AllocSite, SuspectWatch } from '../shared/alloc-data';
import type { SnapshotSuspects } from '../shared/suspect-data';
import type { Store } from '../store/store-interface';
import type { TrendOptions, TrendResult } from '../trend/trend-model';
import { runProcessVerdict, type ProcessVerdict } from './process-verdicts';

export { TREND_METRICS, TREND_POINTS, trendInputFrom } from './run-verdict-input';

/**
 * The leak verdict on a run as the store has it now (the API's /verdict and `leakwatch check`):
 * the worst non-launcher process's, naming it (process-verdicts.ts), or that of one process
 * (`boot`). A run with a single process reads as it always did.
 */
export async function runVerdict(store: Store, runId: string, options: Partial<TrendOptions>, boot?: string): Promise<ProcessVerdict> {
  return runProcessVerdict(store, runId, options, boot);
}

/** How many suspects (and surviving types) a `leak` verdict names. */
export const VERDICT_SUSPECTS = 3;

/**
 * The verdict as the API and `leakwatch check` give it: under `leak`, the top suspects of the
 * newest process that has any (`perBoot` newest first, as latestSuspectsPerBoot returns it),
 * that process's top surviving types, and the run's steepest growing allocation sites (`sites`,
 * as verdictSites in ./alloc reads them, at most 3). When the verdict is about one process
 * (`result.process`), the suspects, types, sites and watches are that process's own.
 * The trend stays pure; the culprit is added beside its result.
 */
export function verdictWithSuspects(
  verdict: TrendResult & { process?: ProcessRef | null; culpritBoots?: readonly string[] },
  perBoot: readonly SnapshotSuspects[],
  sites: readonly AllocSite[] = [],
  watches: readonly SuspectWatch[] = [],
): VerdictBody {
  const { culpritBoots, ...result } = verdict;
  const process = result.process ?? null;
  if (result.verdict !== 'leak') return { ...result, process, suspects: [], survivingTypes: [], sites: [], watches: [] };
  const boots = culpritBoots ? new Set(culpritBoots) : process ? new Set([process.boot]) : null;
  const own = boots ? perBoot.filter((b) => boots.has(b.boot)) : perBoot;
  // The surviving types of the process whose suspects are named, else of the newest that has any.
  const named = own.find((b) => b.suspects.length > 0) ?? own.find((b) => b.survivingTypes.length > 0);
  return {
    ...result,
    process,
    suspects: (named?.suspects ?? []).slice(0, VERDICT_SUSPECTS),
    survivingTypes: (named?.survivingTypes ?? []).slice(0, VERDICT_SUSPECTS),
    sites: (boots ? sites.filter((s) => boots.has(s.boot)) : sites).slice(0, VERDICT_SUSPECTS),
    watches: watchesOf(named?.boot, watches),
  };
}

/** The newest finished watch per container of the named process (`watches` newest first, as the watch service lists them). */
export function watchesOf(boot: string | undefined, watches: readonly SuspectWatch[]): SuspectWatch[] {
  const seen = new Set<number>();
  return watches.filter((w) => {
    if (w.boot !== boot || w.state === 'watching' || seen.has(w.objectId)) return false;
    seen.add(w.objectId);
    return true;
  });
}
