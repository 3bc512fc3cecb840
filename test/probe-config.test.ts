import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SNAPSHOT_MIN_GAP_MS, probeOptionsFromEnv, resolveProbeConfig } from '../src/shared/probe-config';
import { parseByteSize, parseShare, parseSwitch } from '../src/shared/units';

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

test('allocation sampling defaults: on, 512 KiB, 64 frames, every minute; source maps uploaded', () => {
  const config = resolveProbeConfig({});
  assert.deepEqual(config.alloc, { enabled: true, intervalBytes: 524_288, stackDepth: 64, everyMs: 60_000, epochMs: 1_800_000 });
  assert.deepEqual(config.sourceMaps, { upload: true });
});

test('LEAKWATCH_ALLOC_* and LEAKWATCH_SOURCE_MAP_UPLOAD become the allocation and source map settings', () => {
  const options = probeOptionsFromEnv({
    LEAKWATCH_ALLOC_SAMPLING: 'on',
    LEAKWATCH_ALLOC_INTERVAL: '1MiB',
    LEAKWATCH_ALLOC_STACK_DEPTH: '128',
    LEAKWATCH_ALLOC_EVERY: '5s',
    LEAKWATCH_SOURCE_MAP_UPLOAD: '0',
  });
  const config = resolveProbeConfig(options);
  assert.deepEqual(config.alloc, { enabled: true, intervalBytes: 1_048_576, stackDepth: 128, everyMs: 5000, epochMs: 1_800_000 });
  assert.deepEqual(config.sourceMaps, { upload: false });
  for (const off of ['0', 'off', 'false', 'OFF', ' no ']) {
    assert.equal(resolveProbeConfig(probeOptionsFromEnv({ LEAKWATCH_ALLOC_SAMPLING: off })).alloc.enabled, false, off);
    assert.equal(resolveProbeConfig(probeOptionsFromEnv({ LEAKWATCH_SOURCE_MAP_UPLOAD: off })).sourceMaps.upload, false, off);
  }
  // Options from code: booleans and numbers as well as the environment's text.
  const fromCode = resolveProbeConfig({ allocSampling: false, allocInterval: 65_536, allocStackDepth: 1, allocEvery: 1000, uploadSourceMaps: true });
  assert.deepEqual(fromCode.alloc, { enabled: false, intervalBytes: 65_536, stackDepth: 1, everyMs: 1000, epochMs: 1_800_000 });
});

test('bad allocation settings are LW_ERR_CONFIG errors naming the flag and the variable', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ allocSampling: 'sometimes' }, /--no-alloc-sampling \/ LEAKWATCH_ALLOC_SAMPLING\): expected on or off/],
    [{ allocInterval: '0' }, /--alloc-interval \/ LEAKWATCH_ALLOC_INTERVAL\): expected a size from 1KiB to 1GiB/],
    [{ allocInterval: '-5k' }, /LEAKWATCH_ALLOC_INTERVAL/],
    [{ allocInterval: '2GiB' }, /LEAKWATCH_ALLOC_INTERVAL.*got "2GiB"/],
    [{ allocInterval: '512 parsecs' }, /LEAKWATCH_ALLOC_INTERVAL/],
    [{ allocInterval: 100 }, /LEAKWATCH_ALLOC_INTERVAL/],
    [{ allocStackDepth: '0' }, /--alloc-stack-depth \/ LEAKWATCH_ALLOC_STACK_DEPTH\): expected a whole number from 1 to 128/],
    [{ allocStackDepth: '129' }, /LEAKWATCH_ALLOC_STACK_DEPTH/],
    [{ allocStackDepth: 2.5 }, /LEAKWATCH_ALLOC_STACK_DEPTH/],
    [{ allocEvery: '500ms' }, /--alloc-every \/ LEAKWATCH_ALLOC_EVERY\) must be at least 1000ms/],
    [{ allocEvery: 'minutely' }, /LEAKWATCH_ALLOC_EVERY.*expected a duration/],
    [{ uploadSourceMaps: 'maybe' }, /LEAKWATCH_SOURCE_MAP_UPLOAD/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => resolveProbeConfig(options), (err: Error & { code?: string }) => err.code === 'LW_ERR_CONFIG' && message.test(err.message), JSON.stringify(options));
  }
});

test('byte sizes: 1024-based units, a bare number is bytes, whole bytes within the bounds', () => {
  const KiB = 1024;
  for (const [text, bytes] of [['512KiB', 512 * KiB], ['512k', 512 * KiB], ['512 kb', 512 * KiB], ['1MiB', KiB * KiB], ['1m', KiB * KiB], ['1.5M', 1.5 * KiB * KiB], ['65536', 65_536], ['4096b', 4096], ['1g', KiB ** 3]] as const) {
    assert.equal(parseByteSize(text, 'x', 1, KiB ** 3), bytes, text);
  }
  assert.equal(parseByteSize(2048, 'x', 1024, 4096), 2048);
  for (const bad of ['', 'k', '1.5', '-1k', '1e6', '10 kibibytes', '5KiB/s']) assert.throws(() => parseByteSize(bad, 'the size', 2, KiB ** 3), /the size: expected a size/, bad);
  assert.throws(() => parseByteSize(1023, 'the size', 1024, 4096), /from 1KiB to 4KiB/);
  assert.equal(parseSwitch(true, 'x'), true);
  assert.equal(parseSwitch(' Yes', 'x'), true);
  assert.throws(() => parseSwitch('2', 'the switch'), /the switch: expected on or off/);
});

test('LEAKWATCH_HEARTBEAT sets the probe heartbeat: 10 s by default, 100 ms to 15 s, so two silent rounds stay within 30 s', () => {
  assert.equal(resolveProbeConfig({}).heartbeatMs, 10_000);
  assert.equal(resolveProbeConfig(probeOptionsFromEnv({ LEAKWATCH_HEARTBEAT: '2s' })).heartbeatMs, 2000);
  for (const bad of ['50ms', '16s', 'often']) {
    assert.throws(() => resolveProbeConfig({ heartbeat: bad }), (err: Error & { code?: string }) => err.code === 'LW_ERR_CONFIG' && /LEAKWATCH_HEARTBEAT/.test(err.message), bad);
  }
});
