import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SNAPSHOT_MIN_GAP_MS, probeOptionsFromEnv, resolveProbeConfig } from '../src/shared/probe-config';
import { parseShare } from '../src/shared/units';

test('snapshot settings default to off, with a 10 minute gap and the guard at factor 1', () => {
  assert.deepEqual(resolveProbeConfig({}).snapshot, { everyMs: 0, growthShare: 0, nearLimitShare: 0, minGapMs: DEFAULT_SNAPSHOT_MIN_GAP_MS, dir: undefined, headroomFactor: 1 });
  assert.equal(DEFAULT_SNAPSHOT_MIN_GAP_MS, 600_000);
});

test('LEAKWATCH_SNAPSHOT_* variables become the snapshot settings', () => {
  const options = probeOptionsFromEnv({
    LEAKWATCH_SNAPSHOT_EVERY: '30m',
    LEAKWATCH_SNAPSHOT_ON_GROWTH: '50%',
    LEAKWATCH_SNAPSHOT_NEAR_LIMIT: '0.9',
    LEAKWATCH_SNAPSHOT_MIN_GAP: '2m',
    LEAKWATCH_SNAPSHOT_DIR: '/var/tmp/snaps',
    LEAKWATCH_SNAPSHOT_HEADROOM_FACTOR: '1.5',
  });
  assert.deepEqual(resolveProbeConfig(options).snapshot, { everyMs: 1_800_000, growthShare: 0.5, nearLimitShare: 0.9, minGapMs: 120_000, dir: '/var/tmp/snaps', headroomFactor: 1.5 });
  assert.equal(resolveProbeConfig({ snapshotEvery: 0, snapshotHeadroomFactor: 0 }).snapshot.headroomFactor, 0);
});

test('bad snapshot settings are LW_ERR_CONFIG errors naming the setting', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ snapshotEvery: '10ms' }, /snapshot interval must be 0 \(off\) or at least 1000ms/],
    [{ snapshotEvery: 'hourly' }, /LEAKWATCH_SNAPSHOT_EVERY/],
    [{ snapshotOnGrowth: '0%' }, /LEAKWATCH_SNAPSHOT_ON_GROWTH/],
    [{ snapshotNearLimit: '1.5' }, /LEAKWATCH_SNAPSHOT_NEAR_LIMIT.*at most 100%/],
    [{ snapshotMinGap: '-1' }, /LEAKWATCH_SNAPSHOT_MIN_GAP/],
    [{ snapshotHeadroomFactor: 'lots' }, /headroom factor/],
    [{ snapshotHeadroomFactor: '' }, /headroom factor/],
    [{ snapshotHeadroomFactor: -1 }, /headroom factor/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => resolveProbeConfig(options), (err: Error & { code?: string }) => err.code === 'LW_ERR_CONFIG' && message.test(err.message), JSON.stringify(options));
  }
});

test('shares: percent or fraction, above 0 and at most the bound', () => {
  assert.equal(parseShare('50%', 'x', 1), 0.5);
  assert.equal(parseShare(' 0.25 ', 'x', 1), 0.25);
  assert.equal(parseShare(0.9, 'x', 1), 0.9);
  assert.equal(parseShare('200%', 'x', 100), 2);
  assert.equal(parseShare('100%', 'x', 1), 1);
  for (const bad of ['0', '-5%', 'half', '101%', '', '1.01']) assert.throws(() => parseShare(bad, 'the share', 1), /the share: expected a share/);
});
