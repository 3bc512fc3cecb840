import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeSite, siteSeries, siteWindow, matchingSuspectIds, memberType, closureSteps, siteIdOf, allocRowsOf } from '../src/collector/alloc';
import { decodeProbeMessage } from '../src/protocol/decode';
import type { AllocProfileMessage } from '../src/protocol/alloc-messages';
import type { SiteFrame } from '../src/shared/alloc-data';
import type { SuspectSummary } from '../src/shared/suspect-data';
import type { SeriesPoint } from '../src/trend/trend-model';
import { createSeededRandom } from '../support/seeded-random';
import { INTERVAL, KB, MB, MINUTE, allocProfileBody, capped, flat, frame, rising } from './helpers/alloc-profiles';

/*
 * The growing-site rules (src/collector/alloc/growing-sites.ts) and the matching of sites to
 * growth suspects (site-matching.ts), on series shaped like what the probe sends: one profile a
 * minute, live bytes in steps of the sampling interval, with the sawtooth of garbage awaiting GC.
 */
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** `minutes` profiles a minute apart, each value rounded to whole samples plus noise of +-`jitter` samples. */
function series(minutes: number, live: (i: number) => number, seed = 7, jitter = 1): SeriesPoint[] {
  const rand = createSeededRandom(seed);
  return Array.from({ length: minutes }, (_, i) => {
    const samples = Math.max(0, Math.round(live(i) / INTERVAL + (rand() * 2 - 1) * jitter));
    return { t: T0 + i * MINUTE, v: samples * INTERVAL };
  });
}

function judge(points: SeriesPoint[]) {
  return judgeSite(points, siteWindow(points.map((p) => p.t)), INTERVAL);
}

test('a site whose live bytes keep rising is growing, with its Theil-Sen slope and Mann-Kendall p', () => {
  // +0.5 MB a minute = 30 MB/h over 30 minutes.
  const growth = judge(series(30, rising(4 * MB, 512 * KB)));
  assert.equal(growth.growing, true, growth.reason);
  assert.ok(growth.slopeBytesPerHour > 25 * MB && growth.slopeBytesPerHour < 35 * MB, `${growth.slopeBytesPerHour}`);
  assert.ok(growth.pValue < 0.001);
  assert.ok(growth.growthBytes > 12 * MB);
  assert.match(growth.reason, /^live bytes \+\d+ MB\/h over \d+ min, p < 0\.001, no saturation$/);
});

test('a flat site, however noisy, and a cache that filled to its cap and holds are not growing', () => {
  const steady = judge(series(30, flat(20 * MB, 2 * MB), 3, 4));
  assert.equal(steady.growing, false, steady.reason);
  assert.match(steady.reason, /no significant upward trend/);
  const cache = judge(series(40, capped(1 * MB, 12 * MB)));
  assert.equal(cache.growing, false, cache.reason);
  assert.match(cache.reason, /grew then flattened \(last third \+0\.0 MB\/h\): saturation/);
  assert.ok(cache.growthBytes > 10 * MB, 'it did grow at first');
});

test('a burst that drained, a rise within the sampling granularity and too few profiles are not growing', () => {
  // Rises for 34 minutes, then everything it held is let go.
  const burst = judge(series(40, (i) => (i < 34 ? 2 * MB + i * MB : 3 * MB), 5, 0));
  assert.equal(burst.growing, false, burst.reason);
  assert.match(burst.reason, /rose and came back .*: a burst that drained/);
  // One sample more every few minutes: significant, but three intervals in all.
  const tiny = judge(Array.from({ length: 40 }, (_, i) => ({ t: T0 + i * MINUTE, v: (40 + Math.floor(i / 12)) * INTERVAL })));
  assert.equal(tiny.growing, false, tiny.reason);
  assert.match(tiny.reason, /p < 0\.001, but \+1\.5 MB in all, within the 2\.0 MB it moves by itself/);
  const few = judge(series(8, rising(MB, MB)));
  assert.equal(few.growing, false);
  assert.match(few.reason, /too few points/);
});

test('the warm-up is left out: growth only in the first minutes is not growth', () => {
  // Rises for the first 4 minutes (the warm-up at 40 min is 4 min), then flat.
  const warm = judge(series(40, (i) => Math.min(i, 4) * 4 * MB + 8 * MB, 9, 1));
  assert.equal(warm.growing, false, warm.reason);
  assert.deepEqual(siteWindow([T0, T0 + 10 * MINUTE, T0 + 40 * MINUTE], { warmupMs: 60_000 }), { fromTs: T0 + 4 * MINUTE, toTs: T0 + 40 * MINUTE });
});

test('a long run is judged on window minima (bounded work) and still finds the growth', () => {
  const long = series(24 * 60, rising(4 * MB, 8 * KB), 11, 2);
  const started = process.hrtime.bigint();
  const growth = judge(long);
  assert.equal(growth.growing, true, growth.reason);
  assert.ok(growth.slopeBytesPerHour > 400 * KB && growth.slopeBytesPerHour < 560 * KB, `${growth.slopeBytesPerHour}`);
  assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 2000, 'a day of profiles is judged in well under 2 s');
});

test('siteSeries: 0 where a complete profile lacks the site, nothing where the remainder may hold it', () => {
  const profiles = { t: [1, 2, 3, 4], otherSites: [0, 5, 0, 0] };
  assert.deepEqual(siteSeries(profiles, { t: [1, 4], liveBytes: [10, 40] }), [
    { t: 1, v: 10 },
    { t: 3, v: 0 },
    { t: 4, v: 40 },
  ]);
});

const top = (fn: string, url: string, name = '', file = url): SiteFrame => ({ fn, url, line: 20, col: 3, source: { file, line: 20, col: 3, name, mapped: name !== '', note: name ? '' : 'no source map' } });

function suspect(id: number, container: string | null, members: string[], label = 'Map'): SuspectSummary {
  return {
    id,
    kind: 'map',
    label,
    takenAt: [],
    entries: [],
    bytes: [],
    growth: 100,
    entriesPerHour: 1,
    ownBytesPerHour: 1,
    newSinceId: 0,
    leakShareBytes: 1,
    newBytes: 1,
    bytesPerHour: 1,
    floorShare: null,
    paths: { container, members: members.map((path) => ({ path, count: 1, exampleId: 1 })) },
  };
}

test('matching: a constructor site matches the suspect whose members are of its class', () => {
  const cache = suspect(11, 'server.js (module) › responseCache (Map)', ['server.js (module) › responseCache (Map) › [*] › CachedResponse']);
  const other = suspect(12, 'server.js (module) › sessions (Map)', ['server.js (module) › sessions (Map) › [*] › Session', 'x (module) › y (Array) › [*] › (string)']);
  assert.deepEqual(matchingSuspectIds([top('CachedResponse', '/app/dist/server.js')], [cache, other]), [11]);
  assert.deepEqual(matchingSuspectIds([top('Session', '/app/dist/server.js')], [cache, other]), [12]);
  assert.deepEqual(matchingSuspectIds([top('handle', '/app/dist/server.js')], [cache, other]), []);
  // V8's names in parentheses are no function's.
  assert.equal(memberType('a (module) › b (Array) › [*] › (string)'), null);
  assert.equal(memberType('a (module) › b (Array) › [*] › entry (Item)'), 'Item');
});

test('matching: a site in the closure that holds the container, same function and same script', () => {
  const held = suspect(21, 'remember() audit.js:20:3 (scope) › log (Array)', ['remember() audit.js:20:3 (scope) › log (Array) › [*] › Object'], 'Array');
  assert.deepEqual(closureSteps(held).map((c) => `${c.fn} ${c.script}`), ['remember audit.js', 'remember audit.js']);
  assert.deepEqual(matchingSuspectIds([top('remember', 'file:///srv/app/dist/audit.js')], [held]), [21]);
  assert.deepEqual(matchingSuspectIds([top('remember', '/srv/app/dist/other.js')], [held]), [], 'another script');
  assert.deepEqual(matchingSuspectIds([top('forget', '/srv/app/dist/audit.js')], [held]), [], 'another function');
  // Mapped: the suspect read from the generated script matches by the original names too.
  const mapped = suspect(22, 'audit.ts (module) › x (Map)', ['audit.ts (module) › x (Map) › [*] › AuditEntry']);
  assert.deepEqual(matchingSuspectIds([top('t', '/srv/app/dist/audit.js', 'AuditEntry', '/srv/app/src/audit.ts')], [mapped]), [22]);
});

test('an alloc-profile message becomes one row per site and one for the remainder, with stable site ids', () => {
  const stack = [frame('remember', '/app/audit.js', 20), frame('handle', '/app/server.js', 5)];
  const body = allocProfileBody(T0, T0 - MINUTE, [{ stack, liveAt: () => 3 * MB }, { stack: [frame('x', '/app/x.js', 1)], liveAt: () => MB }], 0, { sites: 4, liveBytes: 100, samples: 2 });
  const msg = decodeProbeMessage(Buffer.from(JSON.stringify({ v: 1, run: 'r', boot: 'b', seq: 3, ...body })), false) as AllocProfileMessage;
  const rows = allocRowsOf(msg);
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0].frames, stack);
  assert.equal(rows[0].siteId, siteIdOf(stack));
  assert.match(rows[0].siteId, /^[0-9a-f]{16}$/);
  assert.notEqual(rows[0].siteId, rows[1].siteId);
  assert.deepEqual({ ...rows[2], frames: rows[2].frames.length }, { run: 'r', boot: 'b', seq: 3, at: T0, startedAt: T0 - MINUTE, intervalBytes: INTERVAL, stackDepth: 64, siteId: '', frames: 0, liveBytes: 100, samples: 2, siteCount: 4 });
  // Two nodes with one stack (two scripts of one URL) are one site with both their bytes.
  const twice = allocRowsOf({ ...msg, sites: [msg.sites[0], msg.sites[0]] });
  assert.equal(twice.length, 2);
  assert.equal(twice[0].liveBytes, 6 * MB);
});
