import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createSpool } from '../src/collector/spool';
import { encodeRecord, type SpoolRecord } from '../src/collector/spool/spool-record';
import { createLogger } from '../src/shared/log';
import { makeTempDir } from './helpers/temp-dir';

const temp = makeTempDir('spool');
after(() => temp.remove());

function record(sender: string, seq: number): SpoolRecord {
  const sample = { run: sender, boot: 'b', seq, ts: 1_700_000_000_000 + seq, rss: 1, heapTotal: 1, heapUsed: seq, external: 1, arrayBuffers: 1, heapLimit: 1, totalAvailable: 1, mallocedMemory: 1, peakMallocedMemory: 1, nativeContexts: 1, detachedContexts: 0, elP50Ms: 0, elP99Ms: 0, elMaxMs: 0 };
  return { sender: `${sender}/b`, rows: { samples: [sample], spaces: [], gcs: [] } };
}

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger('debug', (l) => lines.push(l)) };
}

async function drain(spool: ReturnType<typeof createSpool>): Promise<SpoolRecord[]> {
  const out: SpoolRecord[] = [];
  for (let segment = await spool.oldest(); segment; segment = await spool.oldest()) {
    out.push(...segment.records);
    await spool.remove(segment.name);
  }
  return out;
}

test('records survive a restart in order, in several segments, and removed segments leave the disk', async () => {
  const dir = path.join(temp.dir, 'order');
  const first = createSpool({ dir, budgetBytes: 1 << 20, segmentBytes: 1500, log: capture().log });
  await first.open();
  assert.equal(first.isEmpty(), true);
  for (let seq = 1; seq <= 20; seq++) await first.append([record('r', seq)]);
  assert.equal(first.isEmpty(), false);
  await first.close();
  const segments = fs.readdirSync(dir).filter((n) => n.endsWith('.lws'));
  assert.ok(segments.length > 2, `several segments (${segments.length})`);

  const second = createSpool({ dir, budgetBytes: 1 << 20, log: capture().log });
  await second.open();
  assert.equal(second.usedBytes(), segments.reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0));
  const replayed = await drain(second);
  assert.deepEqual(replayed.map((r) => r.rows.samples[0].seq), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.equal(second.isEmpty(), true);
  assert.equal(second.usedBytes(), 0);
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.lws')), []);
  await second.close();
});

test('a torn tail and a corrupt record are quarantined at start-up, logged once each, and the records before them replay', async () => {
  const dir = path.join(temp.dir, 'damaged');
  const spool = createSpool({ dir, budgetBytes: 1 << 20, segmentBytes: 10_000_000, log: capture().log });
  await spool.open();
  await spool.append([record('a', 1), record('a', 2)]);
  await spool.close();
  const [name] = fs.readdirSync(dir).filter((n) => n.endsWith('.lws'));
  const file = path.join(dir, name);
  const goodBytes = fs.statSync(file).size;
  // A power cut during the third append: only half its bytes reached the disk.
  const torn = encodeRecord(record('a', 3));
  fs.appendFileSync(file, torn.subarray(0, Math.floor(torn.length / 2)));
  // A second segment whose first record is intact and whose second has a flipped payload byte.
  const second = path.join(dir, 'seg-000000000099.lws');
  const bad = encodeRecord(record('b', 2));
  bad[bad.length - 3] ^= 0xff;
  fs.writeFileSync(second, Buffer.concat([encodeRecord(record('b', 1)), bad]));

  const { lines, log } = capture();
  const reopened = createSpool({ dir, budgetBytes: 1 << 20, log });
  await reopened.open();
  const corrupt = lines.filter((l) => l.includes('LW_ERR_SPOOL_CORRUPT'));
  assert.equal(corrupt.length, 2, lines.join('\n'));
  assert.match(corrupt[0], /torn record/);
  assert.match(corrupt[1], /checksum mismatch/);
  assert.equal(fs.statSync(file).size, goodBytes, 'the torn tail is cut off the segment');
  const quarantined = fs.readdirSync(path.join(dir, 'quarantine'));
  assert.equal(quarantined.length, 2);
  const replayed = await drain(reopened);
  assert.deepEqual(replayed.map((r) => `${r.sender}:${r.rows.samples[0].seq}`), ['a/b:1', 'a/b:2', 'b/b:1']);
  // New appends go to a segment after the highest number seen, never into a damaged one.
  await reopened.append([record('c', 1)]);
  assert.ok(fs.readdirSync(dir).includes('seg-000000000100.lws'));
  await reopened.close();

  // Start-up again: nothing left to quarantine, so nothing is logged (no crash loop, no log loop).
  const again = capture();
  const third = createSpool({ dir, budgetBytes: 1 << 20, log: again.log });
  await third.open();
  assert.deepEqual(again.lines, []);
  assert.deepEqual((await drain(third)).map((r) => r.sender), ['c/b']);
  await third.close();
});

test('the budget: soft past its soft limit, then full, and an append past it writes nothing (LW_ERR_SPOOL_FULL)', async () => {
  const dir = path.join(temp.dir, 'budget');
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => encodeRecord(record('r', i + 1)).length).reduce((a, b) => a + b, 0);
  assert.equal(createSpool({ dir, budgetBytes: 1000, log: capture().log }).level(), 'ok');
  const spool = createSpool({ dir, budgetBytes: upTo(10), softLimitBytes: upTo(8), log: capture().log });
  await spool.open();
  for (let seq = 1; seq <= 7; seq++) await spool.append([record('r', seq)]);
  assert.equal(spool.level(), 'ok');
  await spool.append([record('r', 8)]);
  assert.equal(spool.level(), 'soft');
  await spool.append([record('r', 9), record('r', 10)]);
  assert.equal(spool.level(), 'full');
  const used = spool.usedBytes();
  await assert.rejects(spool.append([record('r', 11)]), (err: Error & { code?: string }) => err.code === 'LW_ERR_SPOOL_FULL');
  assert.equal(spool.usedBytes(), used);
  await drain(spool);
  assert.equal(spool.level(), 'ok');
  await spool.close();
});

test('a second collector cannot take a spool directory in use; a dead owner\'s directory is taken over', async () => {
  const dir = path.join(temp.dir, 'owned');
  const spool = createSpool({ dir, budgetBytes: 1 << 20, log: capture().log });
  await spool.open();
  fs.writeFileSync(path.join(dir, 'owner.pid'), String(process.ppid));
  const other = createSpool({ dir, budgetBytes: 1 << 20, log: capture().log });
  await assert.rejects(other.open(), (err: Error & { code?: string }) => err.code === 'LW_ERR_CONFIG' && /in use by process/.test(err.message));
  // A pid that cannot be alive (beyond Linux's pid_max).
  fs.writeFileSync(path.join(dir, 'owner.pid'), '99999999');
  await other.open();
  assert.equal(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8'), String(process.pid));
  await other.close();
  await spool.close();
});
