import { selectRows, type RawRow, type StoreContext } from './store-context';
import type { StoredAllocBoot, StoredAllocSite } from './store-interface';
import { toNumber } from './to-number';

function numbers(value: unknown, field: string): number[] {
  return Array.isArray(value) ? value.map((v) => toNumber(v, field)) : [];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** One group's parallel arrays, ordered by time (groupArray keeps no order across threads). */
function sortedSeries(row: RawRow): { t: number[]; live: number[]; samples: number[]; counts: number[]; started: number[] } {
  const t = numbers(row.t, 'alloc_sites.at');
  const live = numbers(row.live, 'alloc_sites.live_bytes');
  const samples = numbers(row.samples, 'alloc_sites.samples');
  const counts = numbers(row.counts, 'alloc_sites.site_count');
  const started = numbers(row.started, 'alloc_sites.started_at');
  const order = t.map((_, i) => i).sort((a, b) => t[a] - t[b]);
  const pick = (values: number[]) => order.map((i) => values[i]);
  return { t: pick(t), live: pick(live), samples: pick(samples), counts: pick(counts), started: pick(started) };
}

/**
 * A run's allocation profiles in one query: one row per (boot, site) with its series as arrays
 * and its stack as in its newest profile (the same site id is the same stack). FINAL collapses
 * resent profiles first. The remainder rows (site_id '') give each boot its profile times.
 */
export async function queryAllocSites(ctx: StoreContext, runId: string): Promise<StoredAllocBoot[]> {
  const rows = await selectRows(
    ctx,
    `cannot read the allocation sites of run ${runId.slice(0, 80)}`,
    `SELECT boot, site_id,
       groupArray(toUnixTimestamp64Milli(at)) AS t,
       groupArray(live_bytes) AS live,
       groupArray(samples) AS samples,
       groupArray(site_count) AS counts,
       groupArray(toUnixTimestamp64Milli(started_at)) AS started,
       argMax(stack_fn, at) AS stack_fn,
       argMax(stack_url, at) AS stack_url,
       argMax(stack_line, at) AS stack_line,
       argMax(stack_col, at) AS stack_col,
       argMax(interval_bytes, at) AS interval_bytes,
       min(toUnixTimestamp64Milli(at)) AS first_at
     FROM ${ctx.tables.allocSites} FINAL
     WHERE run_id = {run:String}
     GROUP BY boot, site_id
     ORDER BY boot, site_id`,
    { run: runId },
  );
  const boots = new Map<string, StoredAllocBoot & { firstAt: number }>();
  for (const row of rows) {
    const boot = String(row.boot);
    let entry = boots.get(boot);
    if (!entry) {
      entry = { boot, profiles: [], epochs: [], otherSites: [], otherLiveBytes: [], intervalBytes: 0, sites: [], firstAt: Infinity };
      boots.set(boot, entry);
    }
    const series = sortedSeries(row);
    entry.firstAt = Math.min(entry.firstAt, toNumber(row.first_at, 'alloc_sites.at'));
    if (String(row.site_id) === '') {
      entry.profiles = series.t;
      entry.epochs = series.started;
      entry.otherSites = series.counts;
      entry.otherLiveBytes = series.live;
      entry.intervalBytes = toNumber(row.interval_bytes, 'alloc_sites.interval_bytes');
      continue;
    }
    const fns = strings(row.stack_fn);
    const urls = strings(row.stack_url);
    const lines = numbers(row.stack_line, 'alloc_sites.stack_line');
    const cols = numbers(row.stack_col, 'alloc_sites.stack_col');
    const site: StoredAllocSite = {
      siteId: String(row.site_id),
      frames: fns.map((fn, i) => ({ fn, url: urls[i] ?? '', line: lines[i] ?? 0, col: cols[i] ?? 0 })),
      t: series.t,
      liveBytes: series.live,
      samples: series.samples,
    };
    entry.sites.push(site);
  }
  return [...boots.values()].sort((a, b) => a.firstAt - b.firstAt).map(({ firstAt: _firstAt, ...boot }) => boot);
}
