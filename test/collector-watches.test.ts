import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { WatchesBody } from '../src/api/http-contract';
import { watchLine } from '../src/cli/check-report';
import { startCollector, type Collector } from '../src/collector/collector';
import { watchesOf } from '../src/collector/run-verdict';
import type { LocationResolver } from '../src/collector/source-maps/location-resolver';
import type { SuspectWatch } from '../src/shared/alloc-data';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';
import { startWatchApp, type WatchApp } from './helpers/watch-app';

/**
 * Watching through the real collector (chDB store in a temp dir) and the real probe in an app
 * process: the request goes over the probe's ingest socket, the report comes back through the
 * send queue, is stored with its frames passed through the collector's location resolver, and
 * is served by GET /api/runs/:id/watches.
 */
const temp = makeTempDir('collector-watches');
let store: Store;
let collector: Collector;
let app: WatchApp;
let ids: Record<string, number>;
let run: string;
let boot: string;
const resolved: string[] = [];

/** Maps the app's script to a .ts name beside it (as a source map would), so the test sees the resolver was used. */
const resolver: LocationResolver = {
  async resolve(_run, locations) {
    resolved.push(...locations.map((l) => l.url));
    return locations.map((l) => ({ file: l.url.replace(/\.js$/, '.ts'), line: l.line, col: l.col, name: '', mapped: true, note: '' }));
  },
};

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: createLogger(process.env.LW_TEST_LOG ? 'debug' : 'silent'), flushIntervalMs: 200, snapshotDir: path.join(temp.dir, 'snapshots'), locationResolver: resolver });
  app = await startWatchApp(temp.dir, 'probe', { LEAKWATCH_COLLECTOR: `${collector.url.replace('http', 'ws')}/ingest`, LEAKWATCH_INTERVAL: '200ms' });
  const answer = await app.ask<{ ids: Record<string, number>; run: string; boot: string }>({ type: 'ids' });
  ({ ids, run, boot } = answer);
  await waitFor('the run to be stored', async () => (await getJson(`${collector.url}/api/runs/${run}`)).status === 200);
});

after(async () => {
  await app?.stop();
  await collector?.close();
  await store?.close();
  temp.remove();
});

async function listWatches(): Promise<SuspectWatch[]> {
  const { status, body } = await getJson<WatchesBody>(`${collector.url}/api/runs/${run}/watches`);
  assert.equal(status, 200);
  return body.watches;
}

test('a watch asked through the collector names the adding line, source-mapped, in GET /api/runs/:id/watches', async () => {
  const { watch, done } = await collector.requestWatch(run, boot, ids['the-map'], 'map', 800);
  assert.equal(watch.state, 'watching');
  assert.equal((await listWatches())[0].state, 'watching', 'listed while it runs');
  await done;
  const [stored] = await listWatches();
  assert.equal(stored.state, 'done', stored.reason);
  assert.equal(stored.objectId, ids['the-map']);
  assert.equal(stored.boot, boot);
  assert.ok(stored.sampled > 0 && stored.calls >= stored.sampled);
  const top = stored.callers[0].frames[0];
  assert.equal(top.fn, 'remember');
  assert.equal(top.url, app.file);
  assert.equal(top.source.file, app.file.replace(/\.js$/, '.ts'));
  assert.equal(top.source.line, app.line('remember'));
  assert.ok(resolved.includes(app.file), 'the frames went through the resolver');
  const own = (await app.ask<{ own: { map: string[]; uncaught: number } }>({ type: 'own' })).own;
  assert.deepEqual(own.map, ['marker'], 'unhooked after the watch');
  assert.equal(own.uncaught, 0);
  // The check line is read from the stored watch.
  assert.equal(watchLine(stored), `adds to ${stored.container}: ${top.source.file}:${top.source.line} remember() (${stored.callers[0].count} of ${stored.sampled} sampled calls)`);
});

test('a watch of an id the process does not have is stored failed, with the probe\'s reason', async () => {
  const { done } = await collector.requestWatch(run, boot, ids['the-map'] + 1_000_000_000, 'map', 500);
  await done;
  const [stored] = await listWatches();
  assert.equal(stored.state, 'failed');
  assert.match(stored.reason, /no live object has heap id/);
  assert.match(watchLine(stored), /^watching object @\d+ failed: no live object/);
});

test('a process that is not connected cannot be asked: LW_ERR_WATCH_NO_PROBE', async () => {
  await assert.rejects(collector.requestWatch(run, 'not-a-boot', ids['the-map'], 'map'), (err: Error & { code?: string }) => err.code === 'LW_ERR_WATCH_NO_PROBE');
});

test('the verdict names the newest finished watch per container of the named process only', async () => {
  const watches = await listWatches();
  const picked = watchesOf(boot, watches);
  assert.equal(new Set(picked.map((w) => w.objectId)).size, picked.length, 'one per container');
  assert.ok(picked.every((w) => w.state !== 'watching' && w.boot === boot));
  assert.equal(picked.find((w) => w.objectId === ids['the-map'])?.state, 'done');
  assert.deepEqual(watchesOf('another-boot', watches), []);
});

test('stopping the probe cuts a running watch short: it is unhooked and its report arrives before the bye', async () => {
  const { done } = await collector.requestWatch(run, boot, ids['the-array'], 'array', 600_000);
  await waitFor('the hook', async () => (await app.ask<{ own: { array: string[] } }>({ type: 'own' })).own.array.includes('push'));
  await app.stop();
  await done;
  const [stored] = await listWatches();
  assert.equal(stored.objectId, ids['the-array']);
  assert.equal(stored.state, 'done');
  assert.match(stored.reason, /probe stopped/);
  assert.equal(stored.callers[0].frames[0].fn, 'audit');
});
