import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { analyzeSnapshotFileSync } from '../src/snapshot/analyze-file';
import { diffTypeRows } from '../src/snapshot/diff-types';
import { nodeIndexEntries, readNodeIndex, type NodeIndex } from '../src/snapshot/node-index';
import { diffNodeIndexes } from '../src/snapshot/node-index-diff';
import { compareWithDevTools } from './helpers/devtools-comparison';
import { hasCode } from './helpers/error-code';
import { writeGrowingSnapshots } from './helpers/heap-snapshot-files';
import { makeTempDir } from './helpers/temp-dir';
import { createTinySnapshot, type TinySnapshot } from './helpers/tiny-snapshot';

/*
 * The node index (per type: ascending object ids and self sizes) and the id-matched diff of two
 * (#new, #deleted, their sizes), on graphs written by hand in V8's format and on real snapshots of
 * one growing process, checked against DevTools' own Comparison view.
 */
const tmp = makeTempDir('node-index');
after(() => tmp.remove());

let fileCount = 0;
function indexOf(snapshot: TinySnapshot): NodeIndex {
  const file = path.join(tmp.dir, `tiny-${fileCount++}.heapsnapshot`);
  fs.writeFileSync(file, snapshot.toJson());
  const analysis = analyzeSnapshotFileSync(file, { nodeIndex: true });
  assert.ok(analysis.nodeIndex, 'the index is built when asked for');
  return readNodeIndex(analysis.nodeIndex);
}

/** A root holding a window (V8's user root) that holds `Foo` objects with the given ids and sizes, plus a string. */
function heapWith(foos: Array<[id: number, size: number]>): TinySnapshot {
  const s = createTinySnapshot();
  const global = s.node('object', 'Window / global', 10, { id: 3 });
  s.edge(s.root, global, 'shortcut', 'global');
  // Written out of id order, as V8 writes them: the index must sort.
  for (const [id, size] of [...foos].reverse()) s.edge(global, s.node('object', 'Foo', size, { id }), 'property', `f${id}`);
  s.edge(global, s.node('string', 'hello', 16, { id: 5 }), 'property', 'greeting');
  s.edge(global, s.node('object', 'Empty', 0, { id: 7 }), 'property', 'empty');
  return s;
}

test('the index holds every counted object by type, ids ascending, self sizes beside them', () => {
  const index = indexOf(heapWith([[101, 24], [41, 32], [73, 40]]));
  assert.deepEqual(nodeIndexEntries(index, 'Foo'), { ids: [41, 73, 101], selfSizes: [32, 40, 24] });
  assert.deepEqual(nodeIndexEntries(index, '(string)'), { ids: [5], selfSizes: [16] });
  assert.equal(index.types.has('Empty'), false, 'objects with a self size of 0 are not counted (DevTools Summary and Comparison)');
  assert.equal(index.types.has('(synthetic)'), false, 'nor is the root');
  assert.deepEqual([...index.types.keys()].sort(), ['(string)', 'Foo', 'Window / global']);
  // Ids beyond 2^28 and sizes beyond 2^32 survive the varints.
  const big = indexOf(heapWith([[2 ** 31 + 1, 2 ** 33 + 7], [2 ** 28 + 3, 1]]));
  assert.deepEqual(nodeIndexEntries(big, 'Foo'), { ids: [2 ** 28 + 3, 2 ** 31 + 1], selfSizes: [1, 2 ** 33 + 7] });
});

test('diff: ids only in b are new, ids only in a deleted, each with its self size; a type on one side only', () => {
  const a = indexOf(heapWith([[41, 32], [73, 40], [101, 24]]));
  const b = indexOf(heapWith([[73, 48], [101, 24], [131, 8], [151, 16]]));
  const byId = diffNodeIndexes(a, b);
  assert.deepEqual(byId.get('Foo'), { newCount: 2, deletedCount: 1, newSize: 24, deletedSize: 32 });
  assert.deepEqual(byId.get('(string)'), { newCount: 0, deletedCount: 0, newSize: 0, deletedSize: 0 });
  assert.deepEqual(diffNodeIndexes(b, a).get('Foo'), { newCount: 1, deletedCount: 2, newSize: 32, deletedSize: 24 }, 'reversed');

  const only = createTinySnapshot();
  const global = only.node('object', 'Window / global', 10, { id: 3 });
  only.edge(only.root, global, 'shortcut', 'global');
  only.edge(global, only.node('object', 'Bar', 12, { id: 201 }), 'property', 'bar');
  const c = indexOf(only);
  const ab = diffNodeIndexes(a, c);
  assert.deepEqual(ab.get('Bar'), { newCount: 1, deletedCount: 0, newSize: 12, deletedSize: 0 });
  assert.deepEqual(ab.get('Foo'), { newCount: 0, deletedCount: 3, newSize: 0, deletedSize: 96 });
  assert.deepEqual(diffNodeIndexes(a, a).get('Foo'), { newCount: 0, deletedCount: 0, newSize: 0, deletedSize: 0 }, 'a snapshot against itself');
});

test('diff rows: the id-matched fields, or null for all rows without a match by id', () => {
  const typesA = [{ type: 'Foo', count: 3, selfSize: 96, retainedSize: 96 }];
  const typesB = [{ type: 'Foo', count: 4, selfSize: 96, retainedSize: 96 }, { type: 'Bar', count: 1, selfSize: 12, retainedSize: 12 }];
  const byId = new Map([['Foo', { newCount: 2, deletedCount: 1, newSize: 24, deletedSize: 32 }]]);
  const rows = diffTypeRows(typesA, typesB, byId);
  const foo = rows.find((r) => r.type === 'Foo')!;
  assert.deepEqual([foo.countDelta, foo.newCount, foo.deletedCount, foo.newSize, foo.deletedSize], [1, 2, 1, 24, 32]);
  assert.deepEqual(rows.find((r) => r.type === 'Bar')?.newCount, 0, 'a type the merge did not report had no new objects');
  for (const row of diffTypeRows(typesA, typesB)) assert.deepEqual([row.newCount, row.deletedCount, row.newSize, row.deletedSize], [null, null, null, null]);
});

test('a damaged index is refused with LW_ERR_SNAPSHOT_IO, never read as numbers', () => {
  const file = path.join(tmp.dir, 'for-damage.heapsnapshot');
  fs.writeFileSync(file, heapWith([[41, 32], [73, 40]]).toJson());
  const bytes = analyzeSnapshotFileSync(file, { nodeIndex: true }).nodeIndex!;
  assert.throws(() => readNodeIndex(new Uint8Array([1, 2, 3, 4, 5, 6, 7])), hasCode('LW_ERR_SNAPSHOT_IO'));
  assert.throws(() => readNodeIndex(bytes.subarray(0, bytes.length - 1)), hasCode('LW_ERR_SNAPSHOT_IO'), 'cut short');
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.throws(() => readNodeIndex(longer), hasCode('LW_ERR_SNAPSHOT_IO'), 'trailing bytes');
  const version = bytes.slice();
  version[4] = 99;
  assert.throws(() => readNodeIndex(version), /version 99/);
  assert.equal(analyzeSnapshotFileSync(file).nodeIndex, undefined, 'not built unless asked for');
});

const LEAKED = 5000;
let grown: { before: string; after: string };
before(async () => {
  grown = await writeGrowingSnapshots(tmp.dir, LEAKED, 'index');
});

test('two real snapshots of one process: #new of the leaking class is the number of objects added, as DevTools counts every type', { timeout: 120_000 }, async () => {
  const a = analyzeSnapshotFileSync(grown.before, { nodeIndex: true });
  const b = analyzeSnapshotFileSync(grown.after, { nodeIndex: true });
  const byId = diffNodeIndexes(readNodeIndex(a.nodeIndex!), readNodeIndex(b.nodeIndex!));
  const leak = byId.get('LeakwatchTestLeak');
  assert.equal(leak?.newCount, LEAKED);
  assert.equal(leak?.deletedCount, 0);
  const leakRow = b.types.find((t) => t.type === 'LeakwatchTestLeak')!;
  assert.equal(leak?.newSize, leakRow.selfSize, 'every leaked object is new: their sizes are the class\'s self size');
  // Per type, counts in b = counts in a + new - deleted.
  const countsA = new Map(a.types.map((t) => [t.type, t.count]));
  for (const row of b.types) {
    const d = byId.get(row.type)!;
    assert.equal(row.count, (countsA.get(row.type) ?? 0) + d.newCount - d.deletedCount, row.type);
  }

  const devtools = await compareWithDevTools(grown.before, grown.after);
  assert.deepEqual(devtools.get('LeakwatchTestLeak'), leak, 'DevTools agrees on the leaking class');
  let compared = 0;
  for (const [type, d] of byId) {
    const ref = devtools.get(type) ?? { newCount: 0, deletedCount: 0, newSize: 0, deletedSize: 0 };
    assert.deepEqual(d, ref, `DevTools' Comparison of ${type}`);
    compared++;
  }
  for (const type of devtools.keys()) assert.ok(byId.has(type), `DevTools' type ${type} is in the index`);
  assert.ok(compared > 20, `${compared} types compared`);
});
