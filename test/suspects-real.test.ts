import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { loadSnapshotFile } from '../src/snapshot/load-snapshot';
import { decodeDigest, digestContainers, encodeDigest, suspectsOfFile, type ContainerDigest, type Suspect } from '../src/snapshot/suspects';
import { makeTempDir } from './helpers/temp-dir';

/**
 * Real V8 snapshots of one child process, four per run (fixtures/suspects-child.ts): a leaky one
 * that grows a module-level Map, an EventEmitter's listener list and an array captured by a
 * closure, and a healthy one (an LRU at its cap, churn, warm-up that stops). As the collector
 * will: each snapshot but the last is loaded, digested, and dropped (its digest stored as bytes);
 * the last is loaded once and ranked against the stored digests.
 */
const run = promisify(execFile);
const CHILD = path.join(__dirname, 'fixtures', 'suspects-child.js');
const tmp = makeTempDir('suspects-real');
after(() => tmp.remove());

async function suspectsOfChild(mode: 'leaky' | 'healthy'): Promise<Suspect[]> {
  const files = [1, 2, 3, 4].map((i) => path.join(tmp.dir, `${mode}-${i}.heapsnapshot`));
  const { stdout } = await run(process.execPath, [CHILD, mode, ...files], { maxBuffer: 1024 * 1024 });
  const { takenAt } = JSON.parse(stdout) as { takenAt: number[] };
  const stored: Buffer[] = [];
  for (let i = 0; i < 3; i++) {
    const graph = loadSnapshotFile(files[i], { keepStrings: 'all' });
    stored.push(encodeDigest(digestContainers(graph, { takenAt: takenAt[i] })));
  }
  const earlier: ContainerDigest[] = stored.map(decodeDigest);
  return suspectsOfFile(files[3], earlier, { takenAt: takenAt[3] }).suspects;
}

let leaky: Suspect[] = [];
let healthy: Suspect[] = [];
before(async () => {
  leaky = await suspectsOfChild('leaky');
  healthy = await suspectsOfChild('healthy');
});

test('the leaky child: the module-level Map is the top suspect and its path names the variable', () => {
  const [top] = leaky;
  assert.ok(top, 'a suspect');
  assert.equal(top.kind, 'map');
  assert.equal(top.label, 'Map');
  assert.deepEqual(top.entries, [400, 800, 1200, 1600]);
  assert.equal(top.paths.container, 'suspects-child.js (module) › responseCache (Map)');
  assert.equal(top.paths.members[0].path, 'suspects-child.js (module) › responseCache (Map) › [*] › CachedResponse');
  assert.equal(top.paths.members[0].count, 200, 'a sample of 200 of the 1,200 new entries, all of one shape');
  assert.ok(top.newBytes > 0 && top.newBytes <= top.leakShareBytes, `${top.newBytes} of ${top.leakShareBytes}`);
  assert.ok(top.bytesPerHour > 0 && top.entriesPerHour > 0);
});

test('the leaky child: the listener list and the closure-held array are suspects too, with their paths', () => {
  const byKind = new Map(leaky.map((s) => [s.kind, s]));
  const listeners = byKind.get('listeners');
  assert.ok(listeners, `kinds: ${leaky.map((s) => s.kind).join(', ')}`);
  assert.deepEqual(listeners.entries, [200, 400, 600, 800]);
  assert.equal(listeners.paths.container, 'suspects-child.js (module) › bus (EventEmitter) › _events (Object) › request (Array)');
  assert.match(listeners.paths.members[0].path, /› request \(Array\) › \[\*\] › onRequest\(\) suspects-child\.js:\d+:\d+$/);
  const tracked = leaky.find((s) => s.kind === 'array' && s.paths.container?.endsWith('seenRequests (Array)'));
  assert.ok(tracked, leaky.map((s) => s.paths.container).join('\n'));
  assert.match(tracked.paths.container!, /^track\(\) suspects-child\.js:\d+:\d+ \(scope\) › seenRequests \(Array\)$/);
  assert.deepEqual(tracked.entries, [400, 800, 1200, 1600]);
  // Ranked by LeakShare.
  for (let i = 1; i < leaky.length; i++) assert.ok(leaky[i - 1].leakShareBytes >= leaky[i].leakShareBytes);
  assert.equal(leaky.length, 3, leaky.map((s) => `${s.label} ${s.paths.container}`).join('\n'));
});

test('the healthy child (LRU at its cap, churn, warm-up that stops) has no suspect', () => {
  assert.deepEqual(healthy.map((s) => `${s.label} ${s.entries.join(',')} ${s.paths.container}`), []);
});
