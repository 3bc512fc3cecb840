import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createSnapshotFiles, isSafeSegment } from '../src/collector/snapshots/files';
import { createLogger } from '../src/shared/log';
import { makeTempDir } from './helpers/temp-dir';

const temp = makeTempDir('snapshot-files');
after(() => temp.remove());
const DAY = 86_400_000;

function touch(file: string, ageMs: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'x');
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(file, when, when);
}

test('ids that could leave the directory or hide in it are not file names', () => {
  for (const good of ['run-1', 'a.b_c', '5f0c7b9e-2a55-4e0f-9d1b-1f2d3c4b5a69']) assert.equal(isSafeSegment(good), true, good);
  for (const bad of ['..', '.', '.tmp', '.hidden', 'a/b', 'a\\b', '', 'x'.repeat(65)]) assert.equal(isSafeSegment(bad), false, bad);
  const files = createSnapshotFiles({ dir: temp.dir, retentionDays: 1, log: createLogger('silent') });
  assert.throws(() => files.storedPath('..', 'x'), /cannot name a snapshot file/);
  assert.equal(files.storedPath('r', 's'), path.join(temp.dir, 'r', 's.heapsnapshot.gz'));
});

test('the retention sweep deletes stored snapshots older than the retention, and nothing else', async () => {
  const dir = path.join(temp.dir, 'sweep');
  const files = createSnapshotFiles({ dir, retentionDays: 7, log: createLogger('silent') });
  const old = files.storedPath('run-a', 'old');
  const fresh = files.storedPath('run-a', 'fresh');
  const lonely = files.storedPath('run-b', 'old');
  const foreign = path.join(dir, 'run-a', 'notes.txt');
  const uploading = files.uploadPath('run-a', 'up');
  touch(old, 8 * DAY);
  touch(fresh, 6 * DAY);
  touch(lonely, 30 * DAY);
  touch(foreign, 30 * DAY);
  touch(uploading, 30 * DAY);
  assert.equal(await files.sweepExpired(), 2);
  assert.deepEqual([old, fresh, lonely, foreign, uploading].map((f) => fs.existsSync(f)), [false, true, false, true, true]);
  assert.equal(fs.existsSync(path.join(dir, 'run-b')), false, 'an emptied run directory goes too');
  assert.equal(await files.sweepExpired(), 0);
});

test('at start, half-received uploads and half-written archives go; verified uploads are handed back', async () => {
  const dir = path.join(temp.dir, 'recover');
  const files = createSnapshotFiles({ dir, retentionDays: 7, log: createLogger('silent') });
  touch(files.uploadPath('run-a', 'partial'), 0);
  touch(files.verifiedPath('run-a', 'done'), 0);
  touch(files.verifiedPath('run-b', 'done-too'), 0);
  touch(files.partialPath('run-a', 'done'), 0);
  touch(files.storedPath('run-a', 'kept'), 0);
  const verified = await files.recover();
  assert.deepEqual(
    verified.sort((x, y) => x.id.localeCompare(y.id)),
    [
      { run: 'run-a', id: 'done', file: files.verifiedPath('run-a', 'done') },
      { run: 'run-b', id: 'done-too', file: files.verifiedPath('run-b', 'done-too') },
    ],
  );
  assert.equal(fs.existsSync(files.uploadPath('run-a', 'partial')), false);
  assert.equal(fs.existsSync(files.partialPath('run-a', 'done')), false);
  assert.equal(fs.existsSync(files.storedPath('run-a', 'kept')), true);
  assert.deepEqual(await createSnapshotFiles({ dir: path.join(temp.dir, 'absent'), retentionDays: 7, log: createLogger('silent') }).recover(), []);
});

test('a snapshot\'s node index lives beside it and goes with it at the retention; a half-written one at start', async () => {
  const dir = path.join(temp.dir, 'index');
  const files = createSnapshotFiles({ dir, retentionDays: 7, log: createLogger('silent') });
  assert.equal(files.nodeIndexPath('r', 's'), path.join(dir, 'r', 's.nodes'));
  const oldIndex = files.nodeIndexPath('run-a', 'old');
  const freshIndex = files.nodeIndexPath('run-a', 'fresh');
  touch(files.storedPath('run-a', 'old'), 8 * DAY);
  touch(oldIndex, 8 * DAY);
  touch(freshIndex, 6 * DAY);
  assert.equal(await files.sweepExpired(), 1, 'counted as one snapshot');
  assert.deepEqual([oldIndex, freshIndex].map((f) => fs.existsSync(f)), [false, true]);
  touch(`${freshIndex}.partial`, 0);
  await files.recover();
  assert.deepEqual([fs.existsSync(`${freshIndex}.partial`), fs.existsSync(freshIndex)], [false, true]);
});

test('a snapshot\'s digest and suspects live beside it and go with it at the retention; half-written ones at start', async () => {
  const dir = path.join(temp.dir, 'suspects');
  const files = createSnapshotFiles({ dir, retentionDays: 7, log: createLogger('silent') });
  assert.equal(files.digestPath('r', 's'), path.join(dir, 'r', 's.digest'));
  assert.equal(files.suspectsPath('r', 's'), path.join(dir, 'r', 's.suspects.json'));
  const old = [files.storedPath('run-a', 'old'), files.digestPath('run-a', 'old'), files.suspectsPath('run-a', 'old')];
  const fresh = [files.storedPath('run-a', 'fresh'), files.digestPath('run-a', 'fresh'), files.suspectsPath('run-a', 'fresh')];
  for (const file of old) touch(file, 8 * DAY);
  for (const file of fresh) touch(file, 6 * DAY);
  assert.equal(await files.sweepExpired(), 1, 'counted as one snapshot');
  assert.deepEqual([...old, ...fresh].map((f) => fs.existsSync(f)), [false, false, false, true, true, true]);
  touch(`${fresh[1]}.partial`, 0);
  touch(`${fresh[2]}.partial`, 0);
  await files.recover();
  assert.deepEqual([`${fresh[1]}.partial`, `${fresh[2]}.partial`, ...fresh].map((f) => fs.existsSync(f)), [false, false, true, true, true]);
});
