import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestContainers, rankSuspects, suspectsOfGraph } from '../src/snapshot/suspects';
import { serviceHeap } from './helpers/suspect-graph';

/**
 * The whole suspect step on three small snapshots of one "process" (helpers/suspect-graph.ts at
 * 20, 40 and 60 entries per container, an hour apart; an entry keeps its node id across them):
 * every growing container is a suspect, ranked by LeakShare, with its growth in bytes per hour
 * and the share of the heap floor's growth it explains, all worked out by hand.
 */
const HOUR = 3_600_000;

test('growing containers ranked by LeakShare, with bytes per hour and their share of the floor growth', () => {
  const digests = [20, 40].map((n, i) => digestContainers(serviceHeap([], [], n).graph, { takenAt: i * HOUR }));
  const { graph } = serviceHeap([], [], 60);
  const { digest, suspects } = suspectsOfGraph(graph, digests, { takenAt: 2 * HOUR }, { floorGrowthBytes: 40 * 56 * 4, minGrowth: 10 });
  assert.equal(digest.count, 4);
  const rows = suspects.map((s) => [s.kind, s.label, s.entries, s.leakShareBytes, s.newBytes, s.bytesPerHour, s.floorShare]);
  assert.deepEqual(rows, [
    // A Timeout is 120 bytes, reachable only along the timer list's chain.
    ['timers', 'TimersList', [20, 40, 60], 136 + 60 * 120, 40 * 120, 40 * 120 / 2, 120 / 224],
    // Key strings (24) and CachedResponses (32) in the Map's table (1000).
    ['map', 'Map', [20, 40, 60], 32 + 1000 + 60 * 56, 40 * 56, 40 * 56 / 2, 0.25],
    // Sessions (48) and their key strings (16) in the dictionary's backing (500).
    ['object', 'Object', [20, 40, 60], 24 + 500 + 60 * 64, 40 * 64, 40 * 64 / 2, 64 / 224],
    // The listener closures (56); the context they share is the module's, held by the roots.
    ['listeners', 'Array', [20, 40, 60], 32 + 60 * 56, 40 * 56, 40 * 56 / 2, 0.25],
  ]);
  assert.deepEqual(suspects.map((s) => s.entriesPerHour), [20, 20, 20, 20]);
  // Paths come with each suspect: 200 is more than the 40 new members, so all of them.
  assert.deepEqual(suspects[1].paths.members.map((g) => [g.path, g.count]), [['server.js (module) › responseCache (Map) › [*] › CachedResponse', 40]]);
  assert.ok(suspects[0].paths.container?.startsWith('global › timers (TimersList)'));
});

test('without the floor growth there is no share; a threshold on new bytes drops small suspects', () => {
  const digests = [20, 40, 60].map((n, i) => digestContainers(serviceHeap([], [], n).graph, { takenAt: i * HOUR }));
  const { graph } = serviceHeap([], [], 60);
  const all = rankSuspects(graph, digests, { minGrowth: 10 });
  assert.deepEqual(all.map((s) => s.floorShare), [null, null, null, null]);
  assert.deepEqual(rankSuspects(graph, digests, { minGrowth: 10, minNewBytes: 2500 }).map((s) => s.kind), ['timers', 'object']);
});

test('a run whose containers hold still has no suspects', () => {
  const digests = [60, 60, 60].map((n, i) => digestContainers(serviceHeap([], [], n).graph, { takenAt: i * HOUR }));
  assert.deepEqual(rankSuspects(serviceHeap([], [], 60).graph, digests, { minGrowth: 1 }), []);
});
