import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDigest, encodeDigest, type ContainerDigest } from '../src/snapshot/suspects/container-digest';
import { KIND_ARRAY, KIND_MAP } from '../src/snapshot/suspects/container-kinds';
import { findGrowthSuspects, keepsGrowing } from '../src/snapshot/suspects/growth-suspects';

/**
 * The cross-snapshot rules on digests written by hand: which entry series are growth suspects,
 * how containers are joined by node id, and the digest's byte form.
 */

const HOUR = 3_600_000;

/** A digest of containers given as [id, kind, entries, bytes], in any order (digests sort by id). */
function digest(takenAt: number, maxNodeId: number, rows: Array<[number, number, number, number]>): ContainerDigest {
  const sorted = [...rows].sort((a, b) => a[0] - b[0]);
  return {
    takenAt,
    maxNodeId,
    count: sorted.length,
    ids: Uint32Array.from(sorted.map((r) => r[0])),
    kinds: Uint8Array.from(sorted.map((r) => r[1])),
    entries: Uint32Array.from(sorted.map((r) => r[2])),
    bytes: Float64Array.from(sorted.map((r) => r[3])),
  };
}

test('steady growth is a suspect, and so is growth with a small dip', () => {
  assert.equal(keepsGrowing([100, 200, 300]), true);
  assert.equal(keepsGrowing([100, 200, 190, 300]), true);
});

test('a cache that grew and then holds at its cap is not a suspect', () => {
  assert.equal(keepsGrowing([100, 200, 300, 300]), false);
  // Churn at the cap moves the count by an entry or two: not growth.
  assert.equal(keepsGrowing([100, 200, 300, 301]), false);
  assert.equal(keepsGrowing([300, 300, 300, 300]), false);
});

test('large dips, mostly falling series, too little growth and too few snapshots are not suspects', () => {
  assert.equal(keepsGrowing([100, 400, 150, 420]), false, 'lost 250 of 570 gained: not a small dip');
  assert.equal(keepsGrowing([500, 400, 300, 600]), false, 'rose in one step of three');
  assert.equal(keepsGrowing([100, 120, 150]), false, 'below minGrowth (64)');
  assert.equal(keepsGrowing([100, 120, 150], { minGrowth: 10 }), true);
  assert.equal(keepsGrowing([100, 500]), false, 'two snapshots cannot show a trend');
});

test('containers are joined by node id; one missing from a snapshot is not judged', () => {
  const digests = [
    digest(0, 1000, [[11, KIND_MAP, 100, 1000], [13, KIND_ARRAY, 50, 400], [15, KIND_ARRAY, 300, 2000]]),
    digest(HOUR, 2000, [[11, KIND_MAP, 300, 3000], [15, KIND_ARRAY, 300, 2000], [17, KIND_ARRAY, 20, 100]]),
    digest(2 * HOUR, 3000, [[17, KIND_ARRAY, 900, 5000], [15, KIND_ARRAY, 300, 2000], [13, KIND_ARRAY, 900, 8000], [11, KIND_MAP, 500, 5000]]),
  ];
  const suspects = findGrowthSuspects(digests);
  assert.deepEqual(suspects.map((s) => s.id), [11], 'only the Map is in all three and grows');
  const [map] = suspects;
  assert.equal(map.kind, 'map');
  assert.deepEqual(map.entries, [100, 300, 500]);
  assert.deepEqual(map.bytes, [1000, 3000, 5000]);
  assert.equal(map.growth, 400);
  assert.equal(map.entriesPerHour, 200);
  assert.equal(map.ownBytesPerHour, 2000);
  assert.equal(map.newSinceId, 1000, 'new objects are those born after the window began');
});

test('only the window of the last snapshots is judged, and the largest growth ranks first', () => {
  const series = (id: number, counts: number[]) => counts.map((n) => [id, KIND_ARRAY, n, n * 8] as [number, number, number, number]);
  const a = series(21, [1000, 1000, 1000, 1100, 1200, 1300]);
  const b = series(23, [100, 900, 1700, 1700, 1700, 1700]);
  const c = series(25, [10, 20, 30, 1000, 2000, 3000]);
  const digests = a.map((_, i) => digest(i * HOUR, i * 100, [a[i], b[i], c[i]]));
  assert.deepEqual(findGrowthSuspects(digests, { window: 3 }).map((s) => s.id), [25, 21]);
  assert.deepEqual(findGrowthSuspects(digests, { window: 3, maxSuspects: 1 }).map((s) => s.id), [25]);
  // Over all six, b grew most but holds at the end; a, which began to grow late, still counts.
  assert.deepEqual(findGrowthSuspects(digests, { window: 6 }).map((s) => s.id), [25, 21]);
  // Rising in fewer than half of the steps is not steady growth.
  const late = series(27, [1000, 1000, 1000, 1000, 1100, 1200]);
  assert.deepEqual(findGrowthSuspects(late.map((row, i) => digest(i * HOUR, i * 100, [row])), { window: 6 }), []);
  assert.deepEqual(findGrowthSuspects(digests.slice(0, 2)), [], 'fewer than three snapshots');
});

test('a digest survives its byte form, and other bytes are refused', () => {
  const d = digest(1_700_000_000_123, 4_000_000_001, [[7, KIND_MAP, 16, 1234.5], [4_294_967_295, KIND_ARRAY, 4_000_000_000, 2 ** 40]]);
  const bytes = encodeDigest(d);
  assert.equal(bytes.length, 24 + 2 * 17);
  assert.deepEqual(decodeDigest(bytes), d);
  assert.throws(() => decodeDigest(bytes.subarray(0, bytes.length - 1)), /has 57 bytes/);
  assert.throws(() => decodeDigest(Buffer.from('not a digest at all, no no no')), /not a container digest/);
});
