import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { WatchReportFields } from '../src/probe/suspect-watcher';
import { makeTempDir } from './helpers/temp-dir';
import { startWatchApp, type WatchApp } from './helpers/watch-app';

/**
 * The probe's suspect watcher in a real app process: the container ids come from a real
 * v8.writeHeapSnapshot() of that process, the hooks go on the live objects through the
 * inspector, and the app keeps calling its own code throughout.
 */
const temp = makeTempDir('suspect-watcher');
let app: WatchApp;
let ids: Record<string, number>;
let requests = 0;

type Own = { map: string[]; array: string[]; objectProto: boolean; listenerArray: string[]; sizes: Record<string, number>; uncaught: number };

before(async () => {
  app = await startWatchApp(temp.dir, 'watcher');
  ids = (await app.ask<{ ids: Record<string, number> }>({ type: 'ids' })).ids;
});

after(async () => {
  await app?.stop();
  temp.remove();
});

async function watch(objectId: number, kind: string, durationMs = 400, maxStacks = 50): Promise<WatchReportFields> {
  const requestId = `r${++requests}`;
  app.child.send({ type: 'watch', request: { v: 1, type: 'watch-request', requestId, objectId, kind, durationMs, maxStacks } });
  for (;;) {
    const { report } = await app.next<{ report: WatchReportFields }>('report');
    if (report.requestId === requestId) return report;
  }
}

function topCaller(report: WatchReportFields): { fn: string; url: string; line: number; count: number; method: string } {
  const top = report.stacks[0];
  assert.ok(top, `a caller stack was sampled (${JSON.stringify(report)})`);
  return { ...report.frames[top.stack[0]], count: top.count, method: top.method };
}

test('the snapshot has the containers, by the node ids V8 also resolves live', () => {
  for (const name of ['the-map', 'the-array', 'the-object', 'the-listeners']) assert.ok(Number.isSafeInteger(ids[name]) && ids[name] > 0, `${name}: ${ids[name]}`);
});

test('a Map: the report names the function that sets, with its file:line; the Map is unhooked after', async () => {
  const before = (await app.ask<{ own: Own }>({ type: 'own' })).own;
  const report = await watch(ids['the-map'], 'map', 500, 30);
  assert.equal(report.state, 'done', report.reason);
  assert.ok(report.calls > report.sampled, `calls ${report.calls} go on being counted after the ${report.sampled} sampled`);
  assert.equal(report.sampled, 30);
  const top = topCaller(report);
  assert.equal(top.fn, 'remember');
  assert.equal(top.url, app.file);
  assert.equal(top.line, app.line('remember'));
  assert.equal(top.method, 'set');
  assert.equal(top.count, 30, 'every sampled call came from remember()');
  const own = (await app.ask<{ own: Own }>({ type: 'own' })).own;
  assert.deepEqual(own.map, ['marker'], 'no own set is left on the Map');
  assert.ok(own.sizes.map > before.sizes.map, 'the app kept adding through the hook');
  assert.equal(own.uncaught, 0);
});

test('an Array, a dictionary object and a listener list: each names its adder; nothing is left on them', async () => {
  const array = await watch(ids['the-array'], 'array');
  assert.equal(array.state, 'done', array.reason);
  assert.deepEqual([topCaller(array).fn, topCaller(array).line, topCaller(array).method], ['audit', app.line('audit'), 'push']);

  const object = await watch(ids['the-object'], 'object');
  assert.equal(object.state, 'done', object.reason);
  assert.deepEqual([topCaller(object).fn, topCaller(object).line, topCaller(object).method], ['openSession', app.line('session'), 'new key']);

  // lib/events.js pushes to the list; its own frames are left out, the app's caller is named.
  const listeners = await watch(ids['the-listeners'], 'listeners', 1500);
  assert.equal(listeners.state, 'done', listeners.reason);
  assert.deepEqual([topCaller(listeners).fn, topCaller(listeners).line], ['subscribe', app.line('subscribe')]);

  const own = (await app.ask<{ own: Own }>({ type: 'own' })).own;
  assert.deepEqual(own.array, ['length', 'marker']);
  assert.equal(own.objectProto, true, 'the dictionary has its null prototype back');
  assert.deepEqual(own.listenerArray, ['length']);
  assert.equal(own.uncaught, 0);
});

test('stop() unhooks a running watch at once and reports what it saw', async () => {
  const requestId = `r${++requests}`;
  app.child.send({ type: 'watch', request: { v: 1, type: 'watch-request', requestId, objectId: ids['the-map'], kind: 'map', durationMs: 600_000, maxStacks: 10 } });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const hooked = (await app.ask<{ own: Own }>({ type: 'own' })).own;
  assert.deepEqual(hooked.map, ['marker', 'set'], 'hooked while the watch runs');
  const stopped = app.ask({ type: 'stop' }, 'stopped');
  const { report } = await app.next<{ report: WatchReportFields }>('report');
  await stopped;
  assert.equal(report.requestId, requestId);
  assert.equal(report.state, 'done');
  assert.match(report.reason, /probe stopped/);
  assert.ok(report.watchedMs < 60_000);
  assert.equal(topCaller(report).fn, 'remember');
  const own = (await app.ask<{ own: Own }>({ type: 'own' })).own;
  assert.deepEqual(own.map, ['marker']);
  assert.equal(own.uncaught, 0);
});

test('a bad id, a collected object and an unhookable kind fail cleanly with a reason', async () => {
  // The watcher above is stopped: a fresh app has a fresh one.
  const other = await startWatchApp(temp.dir, 'watcher');
  try {
    const ask = (objectId: number, kind: string) => {
      const requestId = `x${++requests}`;
      other.child.send({ type: 'watch', request: { v: 1, type: 'watch-request', requestId, objectId, kind, durationMs: 1000, maxStacks: 5 } });
      return other.next<{ report: WatchReportFields }>('report').then((m) => m.report);
    };
    // No snapshot was taken in this process yet: no id is known to V8.
    const early = await ask(12345, 'map');
    assert.equal(early.state, 'failed');
    assert.match(early.reason, /no live object has heap id 12345/);
    const otherIds = (await other.ask<{ ids: Record<string, number> }>({ type: 'ids' })).ids;
    const unknown = await ask(otherIds['the-map'] + 1_000_000_000, 'map');
    assert.equal(unknown.state, 'failed');
    assert.match(unknown.reason, /no live object/);
    const context = await ask(otherIds['the-map'], 'context');
    assert.equal(context.state, 'failed');
    assert.match(context.reason, /not hookable: a closure context/);
    // The marker string is a heap object but not a container.
    const own = (await other.ask<{ own: Own }>({ type: 'own' })).own;
    assert.deepEqual(own.map, ['marker']);
    assert.equal(own.uncaught, 0);
  } finally {
    await other.stop();
  }
});
