import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EXTRA_BYTES_PER_SNAPSHOT_BYTE, SNAPSHOT_BYTES_PER_HEAP_BYTE, checkHeadroom, estimateSnapshotCost, readDiskRoom } from '../src/probe/headroom-guard';
import { readMemoryRoom, type MemoryRoom } from '../src/probe/memory-room';
import { makeTempDir } from './helpers/temp-dir';

const MB = 1024 * 1024;
const temp = makeTempDir('headroom');
after(() => temp.remove());

/** Lays out files as the kernel presents them, under a fresh root. */
function tree(name: string, files: Record<string, string>): string {
  const root = path.join(temp.dir, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

const MEMINFO = 'MemTotal:       16384000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\nBuffers:           10000 kB\n';

test('the estimate is linear in heap used: file = 2.4 x heap, extra = 10.5 x file', () => {
  const one = estimateSnapshotCost(100 * MB);
  assert.equal(one.snapshotBytes, Math.ceil(100 * MB * SNAPSHOT_BYTES_PER_HEAP_BYTE));
  assert.equal(one.extraBytes, Math.ceil(one.snapshotBytes * EXTRA_BYTES_PER_SNAPSHOT_BYTE));
  const ten = estimateSnapshotCost(1000 * MB);
  assert.ok(Math.abs(ten.extraBytes / one.extraBytes - 10) < 1e-6);
  // A 700 MB heap: at least the 4.5 GB V8 took for one such production process.
  assert.ok(estimateSnapshotCost(700 * MB).extraBytes > 4.5 * 1024 * MB);
  assert.deepEqual(estimateSnapshotCost(0), { snapshotBytes: 0, extraBytes: 0 });
});

test('cgroup v2: the tightest limit up the tree, with inactive page cache counted as room', async () => {
  const root = tree('v2', {
    'proc/meminfo': MEMINFO,
    'proc/self/cgroup': '0::/app/web\n',
    'cg/memory.max': 'max\n',
    'cg/memory.current': '999999999999\n',
    'cg/app/memory.max': `${1024 * MB}\n`,
    'cg/app/memory.current': `${768 * MB}\n`,
    'cg/app/memory.stat': `anon ${600 * MB}\nfile ${168 * MB}\nactive_file ${68 * MB}\ninactive_file ${100 * MB}\n`,
    'cg/app/web/memory.max': 'max\n',
    'cg/app/web/memory.current': `${700 * MB}\n`,
  });
  const room = await readMemoryRoom({ procDir: path.join(root, 'proc'), cgroupDir: path.join(root, 'cg') });
  assert.equal(room.systemBytes, 8000000 * 1024);
  assert.equal(room.containerBytes, (1024 - 768 + 100) * MB);
  assert.equal(room.availableBytes, room.containerBytes);
  assert.equal(room.limitedBy, 'container');
});

test('cgroup v1: memory controller line, no-limit sentinel ignored, tighter child limit wins', async () => {
  const root = tree('v1', {
    'proc/meminfo': MEMINFO,
    'proc/self/cgroup': '9:name=systemd:/docker/abc\n4:memory:/docker/abc\n1:cpu:/\n',
    'cg/memory/memory.limit_in_bytes': '9223372036854771712\n',
    'cg/memory/memory.usage_in_bytes': `${5000 * MB}\n`,
    'cg/memory/docker/memory.limit_in_bytes': `${4096 * MB}\n`,
    'cg/memory/docker/memory.usage_in_bytes': `${1024 * MB}\n`,
    'cg/memory/docker/abc/memory.limit_in_bytes': `${512 * MB}\n`,
    'cg/memory/docker/abc/memory.usage_in_bytes': `${300 * MB}\n`,
    'cg/memory/docker/abc/memory.stat': `cache ${50 * MB}\ninactive_file ${10 * MB}\ntotal_inactive_file ${20 * MB}\n`,
  });
  const room = await readMemoryRoom({ procDir: path.join(root, 'proc'), cgroupDir: path.join(root, 'cg') });
  assert.equal(room.containerBytes, (512 - 300 + 20) * MB);
  assert.equal(room.limitedBy, 'container');
});

test('a cgroup path that is not under the mount falls back to the mount root (the container\'s own cgroup)', async () => {
  const root = tree('v1-root', {
    'proc/meminfo': MEMINFO,
    'proc/self/cgroup': '4:memory:/kubepods/pod1/ctr\n',
    'cg/memory/memory.limit_in_bytes': `${256 * MB}\n`,
    'cg/memory/memory.usage_in_bytes': `${200 * MB}\n`,
  });
  const room = await readMemoryRoom({ procDir: path.join(root, 'proc'), cgroupDir: path.join(root, 'cg') });
  assert.equal(room.containerBytes, 56 * MB);
});

test('no cgroup limit: the machine\'s MemAvailable decides; without MemAvailable, os.freemem()', async () => {
  const unlimited = tree('unlimited', { 'proc/meminfo': MEMINFO, 'proc/self/cgroup': '0::/\n', 'cg/memory.max': 'max\n', 'cg/memory.current': '1000\n' });
  const room = await readMemoryRoom({ procDir: path.join(unlimited, 'proc'), cgroupDir: path.join(unlimited, 'cg') });
  assert.equal(room.containerBytes, Number.POSITIVE_INFINITY);
  assert.equal(room.availableBytes, 8000000 * 1024);
  assert.equal(room.limitedBy, 'system');

  const old = tree('old-kernel', { 'proc/meminfo': 'MemTotal: 1000 kB\nMemFree: 500 kB\n' });
  const fallback = await readMemoryRoom({ procDir: path.join(old, 'proc'), cgroupDir: path.join(old, 'cg') });
  assert.ok(fallback.systemBytes > 0 && fallback.systemBytes <= os.totalmem());
  assert.notEqual(fallback.systemBytes, 500 * 1024);
  assert.equal(fallback.containerBytes, Number.POSITIVE_INFINITY);
});

test('on this machine: the real /proc and cgroup files give a plausible room', async () => {
  const room = await readMemoryRoom();
  assert.ok(room.availableBytes > 0);
  assert.ok(room.systemBytes <= os.totalmem());
  assert.ok(room.availableBytes <= room.systemBytes);
  const disk = await readDiskRoom(temp.dir);
  assert.ok(disk.freeBytes > 0);
});

function memory(availableBytes: number, limitedBy: MemoryRoom['limitedBy'] = 'system'): () => Promise<MemoryRoom> {
  return async () => ({ availableBytes, systemBytes: availableBytes, containerBytes: Number.POSITIVE_INFINITY, limitedBy });
}
const bigDisk = async (): Promise<{ freeBytes: number; inMemory: boolean }> => ({ freeBytes: 1e15, inMemory: false });

test('checkHeadroom refuses when the estimate exceeds the room, with a reason naming both', async () => {
  const heapUsed = 100 * MB;
  const { extraBytes } = estimateSnapshotCost(heapUsed);
  const refused = await checkHeadroom(heapUsed, temp.dir, { factor: 1, readMemoryRoom: memory(extraBytes - 1, 'container'), readDiskRoom: bigDisk });
  assert.equal(refused.ok, false);
  assert.equal(refused.estimatedBytes, extraBytes);
  assert.equal(refused.availableBytes, extraBytes - 1);
  assert.match(refused.reason, /^writing a snapshot of a 100 MB heap needs about \d+ MB of extra memory, but only \d+ MB is available under the container memory limit$/);

  const ok = await checkHeadroom(heapUsed, temp.dir, { factor: 1, readMemoryRoom: memory(extraBytes), readDiskRoom: bigDisk });
  assert.deepEqual(ok, { ok: true, estimatedBytes: extraBytes, availableBytes: extraBytes, reason: '' });
});

test('the factor scales the estimate; 0 turns the guard off', async () => {
  const heapUsed = 10 * MB;
  const { extraBytes } = estimateSnapshotCost(heapUsed);
  const careful = await checkHeadroom(heapUsed, temp.dir, { factor: 2, readMemoryRoom: memory(extraBytes * 1.5), readDiskRoom: bigDisk });
  assert.equal(careful.ok, false);
  assert.equal(careful.estimatedBytes, extraBytes * 2);
  const off = await checkHeadroom(heapUsed, temp.dir, { factor: 0, readMemoryRoom: memory(0), readDiskRoom: async () => ({ freeBytes: 0, inMemory: false }) });
  assert.equal(off.ok, true);
});

test('a snapshot directory in tmpfs costs the file in memory too; a full disk refuses', async () => {
  const heapUsed = 10 * MB;
  const cost = estimateSnapshotCost(heapUsed);
  const tmpfs = await checkHeadroom(heapUsed, temp.dir, { factor: 1, readMemoryRoom: memory(1e15), readDiskRoom: async () => ({ freeBytes: 1e15, inMemory: true }) });
  assert.equal(tmpfs.estimatedBytes, cost.extraBytes + cost.snapshotBytes);

  const full = await checkHeadroom(heapUsed, temp.dir, { factor: 1, readMemoryRoom: memory(1e15), readDiskRoom: async () => ({ freeBytes: cost.snapshotBytes - 1, inMemory: false }) });
  assert.equal(full.ok, false);
  assert.match(full.reason, /^the snapshot file \(about 24 MB\) does not fit in .+ \(24 MB free\)$/);
});

test('a snapshot directory that does not exist is an error, not a refusal', async () => {
  await assert.rejects(checkHeadroom(MB, path.join(temp.dir, 'missing'), { factor: 1 }), /ENOENT/);
});

test('a heap near its V8 limit gets no snapshot whatever the machine has, with a reason naming the limit', async () => {
  const limit = 112 * MB; // V8's heap_size_limit under --max-old-space-size=64
  const near = await checkHeadroom(0.85 * 64 * MB, temp.dir, { factor: 1, heapLimit: limit, readMemoryRoom: memory(1e15), readDiskRoom: bigDisk });
  assert.equal(near.ok, false);
  assert.match(near.reason, /85% of its 64 MB old-space limit \(--max-old-space-size\)/);
  const room = await checkHeadroom(0.75 * 64 * MB, temp.dir, { factor: 1, heapLimit: limit, readMemoryRoom: memory(1e15), readDiskRoom: bigDisk });
  assert.equal(room.ok, true, room.reason);
  const off = await checkHeadroom(0.95 * limit, temp.dir, { factor: 0, heapLimit: limit, readMemoryRoom: memory(0), readDiskRoom: bigDisk });
  assert.equal(off.ok, true, 'factor 0 turns every check off');
});
