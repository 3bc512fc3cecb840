/**
 * `npm run bench:watch`: what watching a suspect container costs the app, measured in this one
 * process against the plain call measured alongside (rounds interleaved, medians):
 * - a `Map.set` on a hooked Map while every call has its caller stack sampled (the first
 *   maxStacks calls of a watch), and once the budget is spent (the rest of the watch: a count);
 * - the one-time work of a watch: finding the Map by its heap object id through the inspector and
 *   installing the hooks, and removing them. The lookup is a pause of the app: V8's
 *   HeapProfiler::FindHeapObjectById walks the whole heap for the object, so it grows with the heap.
 */
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
import v8 from 'node:v8';
import { createCallerStacks } from '../../src/probe/caller-stacks';
import { createSuspectWatcher } from '../../src/probe/suspect-watcher';
import { installWatchHooks } from '../../src/probe/watch-hooks';
import { median, relativeMadPercent } from '../common/stats';

const CALLS = 200_000;
const ROUNDS = 9;
const KEYS = Array.from({ length: 1000 }, (_, i) => `k${i}`);

/** ns per `set` over CALLS calls on `map` (keys cycle, so the Map stays small and the set itself is cheap). */
function timeSets(map: Map<string, number>): number {
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) map.set(KEYS[i % KEYS.length], i);
  return ((performance.now() - started) * 1e6) / CALLS;
}

function hooked(maxStacks: number): { map: Map<string, number>; unhook: () => boolean } {
  const map = new Map<string, number>();
  const stacks = createCallerStacks(maxStacks);
  const hooks = installWatchHooks(map, 'map', (method, hook) => stacks.record(method, hook));
  return { map, unhook: hooks.unhook };
}

/** Per property name starting `benchMark`, the node id of the object that has it, from a real snapshot of this process. */
function heapIdsByMarker(): Map<string, number> {
  const found = new Map<string, number>();
  const file = v8.writeHeapSnapshot();
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  const nf: string[] = snap.snapshot.meta.node_fields;
  const E = snap.snapshot.meta.edge_fields.length;
  const property = snap.snapshot.meta.edge_types[0].indexOf('property');
  let edge = 0;
  for (let n = 0; n < snap.nodes.length; n += nf.length) {
    const count = snap.nodes[n + nf.indexOf('edge_count')];
    for (let k = 0; k < count; k++) {
      const at = (edge + k) * E;
      const name: unknown = snap.strings[snap.edges[at + 1]];
      if (snap.edges[at] === property && typeof name === 'string' && name.startsWith('benchMark')) found.set(name, snap.nodes[n + nf.indexOf('id')]);
    }
    edge += count;
  }
  return found;
}

function fmt(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`;
}

function main(): void {
  const plain: number[] = [];
  const sampling: number[] = [];
  const counting: number[] = [];
  const installUs: number[] = [];
  const removeUs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(timeSets(new Map()));
    const s = hooked(Number.MAX_SAFE_INTEGER);
    sampling.push(timeSets(s.map));
    s.unhook();
    const c = hooked(1);
    counting.push(timeSets(c.map));
    c.unhook();
    const target = new Map<string, number>();
    let t = performance.now();
    const hooks = installWatchHooks(target, 'map', () => {});
    installUs.push((performance.now() - t) * 1000);
    t = performance.now();
    hooks.unhook();
    removeUs.push((performance.now() - t) * 1000);
  }

  // The whole request path once per round: inspector lookup by heap id, hand-over and hooks.
  // One Map per round (one watch per object), each found by a property name of its own.
  const watched = Array.from({ length: ROUNDS }, (_, i) => Object.defineProperty(new Map<string, number>(), `benchMark${i}`, { value: 'marked', enumerable: true }));
  const ids = heapIdsByMarker();
  const reports: string[] = [];
  const watcher = createSuspectWatcher({ sendReport: (r) => reports.push(r.state === 'done' ? 'done' : r.reason), notice: () => {}, maxActive: ROUNDS });
  const requestUs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t = performance.now();
    watcher.request({ v: 1, type: 'watch-request', requestId: `b${round}`, objectId: ids.get(`benchMark${round}`) ?? 0, kind: 'map', durationMs: 60_000, maxStacks: 10 });
    requestUs.push((performance.now() - t) * 1000);
  }
  const t = performance.now();
  watcher.stop();
  const stopUs = (performance.now() - t) * 1000;
  if (reports.length !== ROUNDS || reports.some((r) => r !== 'done') || watched.some((m) => Object.getOwnPropertyNames(m).includes('set'))) throw new Error(`the watches did not end cleanly: ${reports.join(',')}`);

  const p = median(plain);
  const rows: [string, number[]][] = [
    ['plain Map.set', plain],
    ['hooked, sampling each call', sampling],
    ['hooked, after maxStacks', counting],
  ];
  process.stdout.write(`suspect watch cost, ${ROUNDS} rounds of ${CALLS.toLocaleString('en-US')} calls (medians; ±: round-to-round MAD)\n`);
  for (const [name, values] of rows) {
    const m = median(values);
    process.stdout.write(`  ${name.padEnd(28)} ${fmt(m).padStart(10)} per call  ×${(m / p).toFixed(2)} plain  (+${fmt(Math.max(0, m - p))})  ±${relativeMadPercent(values).toFixed(0)}%\n`);
  }
  process.stdout.write(`  install hooks on one Map     ${fmt(median(installUs) * 1000).padStart(10)}, remove ${fmt(median(removeUs) * 1000)}\n`);
  process.stdout.write(`  request (lookup by heap id + hooks) ${fmt(median(requestUs) * 1000)} median, first ${fmt(requestUs[0] * 1000)} (opens the inspector session); stop of ${ROUNDS} watches ${fmt(stopUs * 1000)}\n`);
  process.stdout.write(`  a default watch (200 sampled stacks) costs the app about ${fmt((median(sampling) - p) * 200)} of sampling in all, then +${fmt(Math.max(0, median(counting) - p))} per call\n`);
}

main();
