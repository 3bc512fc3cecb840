import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { analyzeSnapshotFileSync } from '../src/snapshot/analyze-file';
import { readNodeIndex, type NodeIndex } from '../src/snapshot/node-index';
import { findSurvivingTypes, type SurvivingWindowEntry } from '../src/snapshot/surviving-types';
import { makeTempDir } from './helpers/temp-dir';
import { createTinySnapshot } from './helpers/tiny-snapshot';

/*
 * The types whose new objects survive, on node indexes of graphs written by hand in V8's format:
 * each heap is a global holding objects of the given types with the given ids (V8 ids are stable
 * within a process and increase for new objects), one heap per snapshot of a window.
 */
const tmp = makeTempDir('surviving-types');
after(() => tmp.remove());

let fileCount = 0;
/** The node index of a heap whose global holds, per type, objects with these ids (self size `size`). */
function indexOf(objects: Record<string, number[]>, size = 100): NodeIndex {
  const s = createTinySnapshot();
  const global = s.node('object', 'Window / global', 10, { id: 3 });
  s.edge(s.root, global, 'shortcut', 'global');
  for (const [type, ids] of Object.entries(objects)) {
    for (const id of ids) s.edge(global, s.node(type === '(string)' ? 'string' : 'object', type === '(string)' ? `text${id}` : type, size, { id }), 'property', `p${id}`);
  }
  const file = path.join(tmp.dir, `tiny-${fileCount++}.heapsnapshot`);
  fs.writeFileSync(file, s.toJson());
  return readNodeIndex(analyzeSnapshotFileSync(file, { nodeIndex: true }).nodeIndex!);
}

const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + 2 * i);
const window = (heaps: NodeIndex[]): SurvivingWindowEntry[] => heaps.map((index, i) => ({ index, takenAt: 1000 * (i + 1) }));
const any = { minBytes: 0, minCount: 1 };

test('a leak: every snapshot adds objects that stay; each middle snapshot\'s cohort is counted, the last one\'s not yet', () => {
  // Leak: 10 old ones, then 5 more kept per snapshot. Churn: 5 new ones per snapshot, each gone by the next.
  const heaps = [0, 1, 2, 3].map((k) => indexOf({ Leak: ids(101, 10 + 5 * k), Churn: ids(1001 + 100 * k, 5) }));
  const found = findSurvivingTypes(window(heaps), any);
  assert.deepEqual(found, [
    {
      type: 'Leak',
      count: 10,
      selfSize: 1000,
      steps: [
        { takenAt: 2000, count: 5, selfSize: 500 },
        { takenAt: 3000, count: 5, selfSize: 500 },
      ],
    },
  ]);
  assert.ok(!found.some((t) => t.type === 'Churn'), 'objects that die before the next snapshot never survive');
});

test('an object missing from one snapshot after it was first seen does not survive; nor do old ones', () => {
  const first = indexOf({ Foo: [101, 103] });
  const second = indexOf({ Foo: [101, 103, 105, 107, 109] });
  const third = indexOf({ Foo: [101, 105, 109, 111] }); // 103 (old) and 107 died; 111 is new here
  const last = indexOf({ Foo: [101, 105, 109, 111, 113] }); // 111 seen in two: a survivor of the third's cohort
  const found = findSurvivingTypes(window([first, second, third, last]), any);
  assert.equal(found.length, 1);
  assert.deepEqual([found[0].count, found[0].steps.map((s) => s.count)], [3, [2, 1]]);
  // An id back after a gap (no real object does this) is not a survivor either.
  const gap = findSurvivingTypes(window([first, second, indexOf({ Foo: [101] }), indexOf({ Foo: [101, 105] })]), any);
  assert.deepEqual(gap, []);
});

test('fewer than three snapshots give none; thresholds, the top and the ranking', () => {
  const a = indexOf({ Foo: [1001] });
  assert.deepEqual(findSurvivingTypes(window([a, indexOf({ Foo: [1001, 1003] })]), any), [], 'two snapshots: nothing has been seen twice since the first');
  const first = indexOf({ Small: [101], Big: [201], '(string)': [301] });
  const middle = indexOf({ Small: [101, 103], Big: [201, ...ids(203, 3)], '(string)': [301, ...ids(303, 20)] });
  const last = indexOf({ Small: [101, 103], Big: [201, ...ids(203, 3)], '(string)': [301, ...ids(303, 20)] });
  const all = findSurvivingTypes(window([first, middle, last]), any);
  // (string) weighs most, but a type V8 names in parentheses ranks after the object types.
  assert.deepEqual(all.map((t) => [t.type, t.count, t.selfSize]), [['Big', 3, 300], ['Small', 1, 100], ['(string)', 20, 2000]]);
  assert.deepEqual(findSurvivingTypes(window([first, middle, last]), { ...any, top: 1 }).map((t) => t.type), ['Big']);
  assert.deepEqual(findSurvivingTypes(window([first, middle, last]), { minBytes: 250, minCount: 1 }).map((t) => t.type), ['Big', '(string)']);
  assert.deepEqual(findSurvivingTypes(window([first, middle, last]), { minBytes: 0, minCount: 5 }).map((t) => t.type), ['(string)']);
  assert.deepEqual(findSurvivingTypes(window([first, middle, last])), [], 'the default threshold (16 KiB) drops a few hundred bytes');
});
