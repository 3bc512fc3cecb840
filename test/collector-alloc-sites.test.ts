import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AllocSitesBody, ApiErrorBody, VerdictBody } from '../src/api/http-contract';
import { readAllocSites, siteIdOf } from '../src/collector/alloc';
import type { GeneratedLocation, LocationResolver } from '../src/collector/source-maps/location-resolver';
import { INTERVAL, MB, MINUTE, allocProfileBody, capped, flat, frame, rising, type ProfileSite } from './helpers/alloc-profiles';
import { runCli } from './helpers/cli';
import { useSnapshotCollector } from './helpers/collector-snapshots';
import { connectRawProbe, type RawProbe } from './helpers/raw-probe';
import { leakingRows } from './helpers/suspect-snapshots';
import { getJson } from './helpers/wait-for';

/*
 * Allocation sites through the real collector: a raw probe sends alloc-profile messages over a
 * real ingest socket, the collector stores them in the real embedded ClickHouse through its
 * acked writer, and the API, the verdict and `leakwatch check --collector` read them back.
 */
const fx = useSnapshotCollector('collector-alloc-sites');
const { ingestUrl, api } = fx;
const PROFILES = 30;
const start = Date.now() - 40 * MINUTE;
const LEAK = [frame('remember', 'file:///srv/app/dist/audit.js', 20, 3), frame('handle', 'file:///srv/app/dist/server.js', 7, 1)];
const SITES: ProfileSite[] = [
  { stack: LEAK, liveAt: rising(MB, 512 * 1024) },
  { stack: [frame('render', '/srv/app/dist/view.js', 4, 10)], liveAt: flat(6 * MB, INTERVAL) },
  { stack: [frame('LruCache', '/srv/app/dist/cache.js', 1, 1)], liveAt: capped(MB, 8 * MB) },
];

/** Sends profile `i` of `sites` (one a minute from `start`); returns its seq. */
function sendProfile(probe: RawProbe, i: number, sites = SITES): number {
  return probe.send(allocProfileBody(start + i * MINUTE, start, sites, i));
}

/** Stored points of a run: each profile's remainder and each site's, after FINAL. */
async function countRows(run: string): Promise<number> {
  const rows = await fx.store.queryAllocSites(run);
  return rows.reduce((n, b) => n + b.profiles.length + b.sites.reduce((m, s) => m + s.t.length, 0), 0);
}

// The tests build on each other, in order. (Node 20 runs a file's top-level `before` hooks side by
// side, so this setup cannot be one: the fixture's store would not be open yet.)
test('alloc-profile messages are stored and acked in order; a resend after reconnect is acked, not stored twice', async () => {
  // The leaking run's heap floor rises 1 MB a minute for 25 minutes (a leak verdict).
  await fx.store.insertRows({ ...leakingRows('leaky', start), spaces: [] });
  const probe = await connectRawProbe(ingestUrl(), 'leaky');
  const seqs: number[] = [];
  try {
    for (let i = 0; i < PROFILES; i++) seqs.push(sendProfile(probe, i));
    await probe.waitForAck(seqs[seqs.length - 1]);
    assert.deepEqual(probe.acks.map((a) => a.seq), seqs, 'every profile acked, in seq order');
  } finally {
    await probe.close();
  }
  const stored = await countRows('leaky');
  assert.equal(stored, PROFILES * 4, 'three sites and the remainder per profile');
  // The probe did not see the last acks: it reconnects and resends the last two.
  const again = await connectRawProbe(ingestUrl(), 'leaky');
  try {
    const body = (i: number) => ({ v: 1, run: 'leaky', boot: again.boot, seq: seqs[i], ...allocProfileBody(start + i * MINUTE, start, SITES, i) });
    again.ws.send(JSON.stringify(body(PROFILES - 2)));
    again.ws.send(JSON.stringify(body(PROFILES - 1)));
    await again.waitForAck(seqs[PROFILES - 1]);
  } finally {
    await again.close();
  }
  assert.equal(await countRows('leaky'), stored);
});

test('GET /api/runs/:id/alloc-sites: the growing site first with its slope, source and stack; the flat and the capped are not growing', async () => {
  const { status, body } = await getJson<AllocSitesBody>(api('leaky/alloc-sites'));
  assert.equal(status, 200);
  assert.equal(body.boots.length, 1);
  const [boot] = body.boots;
  assert.deepEqual([boot.boot, boot.profiles, boot.intervalBytes], ['leaky-boot', PROFILES, INTERVAL]);
  assert.deepEqual(boot.sites.map((s) => [s.frames[0].fn, s.growing]), [
    ['remember', true],
    ['LruCache', false],
    ['render', false],
  ], 'growing first, then by live bytes');
  const [top] = boot.sites;
  assert.equal(top.siteId, siteIdOf(LEAK));
  assert.ok(top.slopeBytesPerHour > 25 * MB && top.slopeBytesPerHour < 35 * MB, `${top.slopeBytesPerHour}`);
  assert.ok(top.pValue < 0.001);
  assert.equal(top.growthBytes, (PROFILES - 1) * 512 * 1024);
  assert.equal(top.t.length, PROFILES);
  assert.deepEqual(top.frames.map((f) => f.source), [
    { file: '/srv/app/dist/audit.js', line: 20, col: 3, name: '', mapped: false, note: 'no source map' },
    { file: '/srv/app/dist/server.js', line: 7, col: 1, name: '', mapped: false, note: 'no source map' },
  ]);
  assert.deepEqual(top.suspectIds, [], 'no snapshots, no suspects');

  const growing = await getJson<AllocSitesBody>(api('leaky/alloc-sites?growingOnly=1&limit=5'));
  assert.deepEqual(growing.body.boots[0].sites.map((s) => s.frames[0].fn), ['remember']);
  const one = await getJson<AllocSitesBody>(api('leaky/alloc-sites?limit=1'));
  assert.equal(one.body.boots[0].sites.length, 1);
  for (const bad of ['limit=0', 'limit=abc', 'growingOnly=maybe', 'maxSlope=fast']) {
    const res = await getJson<ApiErrorBody>(api(`leaky/alloc-sites?${bad}`));
    assert.equal(res.status, 400, bad);
    assert.equal(res.body.error.code, 'LW_ERR_BAD_REQUEST', bad);
  }
  const missing = await getJson<ApiErrorBody>(api('nope/alloc-sites'));
  assert.deepEqual([missing.status, missing.body.error.code], [404, 'LW_ERR_NOT_FOUND']);
});

test('the verdict names the growing site under leak; a run without a leak names none', async () => {
  const leak = await getJson<VerdictBody>(api('leaky/verdict'));
  assert.equal(leak.body.verdict, 'leak');
  assert.deepEqual(leak.body.sites.map((s) => s.frames[0].fn), ['remember']);
  assert.deepEqual(leak.body.watches, []);
  // Sites also growing in a run that does not leak: the verdict names none.
  const probe = await connectRawProbe(ingestUrl(), 'short');
  try {
    await probe.waitForAck(sendProfile(probe, 0));
  } finally {
    await probe.close();
  }
  const none = await getJson<VerdictBody>(api('short/verdict'));
  assert.notEqual(none.body.verdict, 'leak');
  assert.deepEqual(none.body.sites, []);
  const empty = await getJson<AllocSitesBody>(api('short/alloc-sites'));
  assert.deepEqual(empty.body.boots[0].sites.map((s) => s.growing), [false, false, false], 'one profile judges nothing');
});

test('the sites of one answer are source-mapped in one resolver call', async () => {
  const calls: GeneratedLocation[][] = [];
  const resolver: LocationResolver = {
    async resolve(_run, locations) {
      calls.push([...locations]);
      return locations.map((l) => ({ file: l.url.replace(/^file:\/\/\/srv\/app\/dist\/(.*)\.js$/, 'src/$1.ts'), line: l.line - 2, col: l.col, name: l.fn, mapped: true, note: '' }));
    },
  };
  const body = await readAllocSites({ store: fx.store, resolver, suspects: [] }, 'leaky', { limit: 2, growingOnly: false });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].length, 3, 'the frames of the two sites returned');
  assert.deepEqual(body.boots[0].sites[0].frames[0].source, { file: 'src/audit.ts', line: 18, col: 3, name: 'remember', mapped: true, note: '' });
});

test('leakwatch check --collector prints the growing site with its line and says what the line is; JSON carries the sites', { timeout: 60_000 }, async () => {
  const text = await runCli(['check', 'leaky', '--collector', fx.collector.url]);
  assert.equal(text.code, 1, text.stderr);
  assert.match(text.stdout, /\n {2}growing allocation site: \/srv\/app\/dist\/audit\.js:20 remember\(\) \+(2\d|3[0-5])\.\d MB\/h \(live 15\.5 MB; generated location, no source map\)\n/);
  assert.match(text.stdout, /\n {2}\(a site's line is where its allocating function starts: V8's sampling heap profiler records functions, not statements\)\n/);
  const json = await runCli(['check', 'leaky', '--collector', fx.collector.url, '--format', 'json']);
  const report = JSON.parse(json.stdout) as VerdictBody;
  assert.deepEqual(report.sites.map((s) => [s.frames[0].fn, s.growing]), [['remember', true]]);
  const junit = await runCli(['check', 'leaky', '--collector', fx.collector.url, '--format', 'junit']);
  assert.match(junit.stdout, /<failure message="memory leak" type="leak">[^<]*growing allocation site: \/srv\/app\/dist\/audit\.js:20 remember\(\)/);
});

test("sampling epochs: a probe's sampler restarted after snapshots, and each epoch is judged on its own", async () => {
  // Three epochs of 20 profiles; every site starts from nothing at each restart, as V8's does.
  const EPOCH = 20;
  const probe = await connectRawProbe(ingestUrl(), 'epochs');
  const seqs: number[] = [];
  try {
    for (let i = 0; i < 3 * EPOCH; i++) {
      const epoch = Math.floor(i / EPOCH);
      const epochStart = start + epoch * EPOCH * MINUTE;
      seqs.push(probe.send(allocProfileBody(start + i * MINUTE, epochStart, SITES, i % EPOCH)));
    }
    await probe.waitForAck(seqs[seqs.length - 1]);
  } finally {
    await probe.close();
  }
  const [boot] = await fx.store.queryAllocSites('epochs');
  assert.deepEqual([...new Set(boot.epochs)], [0, 1, 2].map((e) => start + e * EPOCH * MINUTE), 'each profile carries its epoch');
  const body = await getJson<AllocSitesBody>(api('epochs/alloc-sites'));
  const growing = Object.fromEntries(body.body.boots[0].sites.map((s) => [s.frames[0].fn, s.growing]));
  assert.deepEqual(growing, { remember: true, render: false, LruCache: false });
  assert.equal(body.body.boots[0].sites[0].frames[0].fn, 'remember', 'the growing site first');
  const leak = body.body.boots[0].sites[0];
  assert.ok(leak.growthBytes > 8 * MB && leak.growthBytes < 11 * MB, `growth within the newest epoch: ${leak.growthBytes}`);
});
