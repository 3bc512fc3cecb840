import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { SnapshotRecord, TypeDiffRow } from '../src/shared/snapshot-data';
import { diffTypeRows } from '../src/snapshot/diff-types';
import { useSnapshotCollector, LEAKS } from './helpers/collector-snapshots';
import { writeGrowingSnapshots } from './helpers/heap-snapshot-files';
import { connectRawProbe } from './helpers/raw-probe';
import { uploadSnapshot } from './helpers/snapshot-upload-client';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * The collector's snapshot API beyond uploads: requests to the probe (answered, busy, refused,
 * timed out, no probe) and the per-type diff of two snapshots. How these tests drive the real
 * collector: helpers/collector-snapshots.ts.
 */

let files: { before: string; after: string };
const fx = useSnapshotCollector('collector-snapshot-api');
const { ingestUrl, api, waitForStatus, captureAndUpload } = fx;

before(async () => {
  files = await writeGrowingSnapshots(fx.temp.dir, LEAKS);
});

/** A snapshot failed by a wrong sha256 (as in the upload tests): one that is not ready. */
async function failChecksum(run: string, sid: string): Promise<void> {
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    await probe.waitForAck(probe.sendStatus({ state: 'capturing', snapshotId: sid }));
    const result = await uploadSnapshot(fx.collector.url, { run, boot: probe.boot, snapshotId: sid, file: files.before, sha256: '0'.repeat(64) });
    assert.equal(result.stored, false);
    await waitForStatus(run, sid, 'failed');
  } finally {
    await probe.close();
  }
}

test('snapshot requests: 409 without a probe, 504 when it stays silent, answered by the probe otherwise', { timeout: 60_000 }, async () => {
  const run = 'requests';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    await probe.waitForAck(probe.sendBatch(1));

    // The probe is asked; it answers capturing: 202 with the new snapshot.
    const post = fetch(api(`${run}/snapshots`), { method: 'POST' });
    const requestId = await probe.waitForRequest();
    probe.sendStatus({ state: 'capturing', snapshotId: 'req-1', requestId });
    const accepted = await post;
    assert.equal(accepted.status, 202);
    const body = (await accepted.json()) as { snapshot: SnapshotRecord };
    assert.equal(body.snapshot.id, 'req-1');
    assert.equal(body.snapshot.status, 'capturing');
    assert.equal(body.snapshot.estimatedBytes, 2e7);

    // A second request while that one is in flight: the probe says busy; 200 with the running one.
    const again = fetch(api(`${run}/snapshots`), { method: 'POST' });
    probe.sendStatus({ state: 'busy', snapshotId: 'req-1', requestId: await probe.waitForRequest() });
    const busy = await again;
    assert.equal(busy.status, 200);
    assert.equal(((await busy.json()) as { snapshot: SnapshotRecord }).snapshot.id, 'req-1');

    // Refused by the headroom guard: 202 with the reason, recorded.
    const third = fetch(api(`${run}/snapshots`), { method: 'POST' });
    const reason = 'needs about 1.2 GB, only 300 MB available';
    probe.sendStatus({ state: 'refused', snapshotId: 'req-2', requestId: await probe.waitForRequest(), reason, errorCode: 'LW_ERR_SNAPSHOT_REFUSED' });
    const refused = await third;
    assert.equal(refused.status, 202);
    const refusedBody = (await refused.json()) as { snapshot: SnapshotRecord };
    assert.deepEqual([refusedBody.snapshot.status, refusedBody.snapshot.reason, refusedBody.snapshot.errorCode], ['refused', reason, 'LW_ERR_SNAPSHOT_REFUSED']);
    const list = await getJson<{ snapshots: SnapshotRecord[] }>(api(`${run}/snapshots`));
    const recorded = list.body.snapshots.find((s) => s.id === 'req-2');
    assert.deepEqual([recorded?.status, recorded?.reason, recorded?.errorCode], ['refused', reason, 'LW_ERR_SNAPSHOT_REFUSED']);

    // Silence: 504 after the request timeout.
    const silent = await fetch(api(`${run}/snapshots`), { method: 'POST' });
    assert.equal(silent.status, 504);
    assert.equal(((await silent.json()) as { error: { code: string } }).error.code, 'LW_ERR_SNAPSHOT_TIMEOUT');

    // Every status message was acked like any other message.
    await probe.waitForAck(probe.sendBatch(1));
  } finally {
    await probe.close();
  }
  await waitFor('the probe connection to be gone', async () => (await fetch(api(`${run}/snapshots`), { method: 'POST' })).status === 409);
  const listed = await getJson<{ snapshots: SnapshotRecord[] }>(api(`${run}/snapshots`));
  assert.deepEqual(listed.body.snapshots.map((s) => s.id), ['req-1', 'req-2'], 'the run\'s snapshots are still listed');
  const res = await fetch(api(`${run}/snapshots`), { method: 'POST' });
  assert.equal(res.status, 409);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'LW_ERR_SNAPSHOT_NO_PROBE');
  assert.equal((await fetch(api('no-such-run/snapshots'), { method: 'POST' })).status, 404);
});

test('diff of two ready snapshots: per type deltas, largest retained growth first', { timeout: 120_000 }, async () => {
  const run = 'diff';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    assert.equal((await captureAndUpload(probe, 'a', files.before)).stored, true);
    assert.equal((await captureAndUpload(probe, 'b', files.after)).stored, true);
    const a = await waitForStatus(run, 'a', 'ready');
    const b = await waitForStatus(run, 'b', 'ready');
    const res = await getJson<{ a: SnapshotRecord; b: SnapshotRecord; matchedById: boolean; rows: TypeDiffRow[] }>(api(`${run}/diff?a=a&b=b`));
    assert.equal(res.status, 200);
    assert.equal(res.body.a.id, 'a');
    assert.equal(res.body.b.id, 'b');
    // The per-type fields are the stored rows' diff; the id-matched ones come from the node indexes.
    const byType = (rows: TypeDiffRow[]) => rows.map(({ newCount: _n, deletedCount: _d, newSize: _s, deletedSize: _f, ...rest }) => rest);
    assert.deepEqual(byType(res.body.rows), byType(diffTypeRows(a.types, b.types)));
    assert.equal(res.body.matchedById, true, 'both snapshots of one process have a node index');
    const idFields = res.body.rows.find((r) => r.type === 'LeakwatchTestLeak');
    assert.deepEqual([idFields?.newCount, idFields?.deletedCount], [LEAKS, 0], 'every leaked object is new in b');
    assert.equal(idFields?.newSize, b.types.find((t) => t.type === 'LeakwatchTestLeak')?.selfSize);
    for (const row of res.body.rows) assert.equal(row.countB, row.countA + row.newCount! - row.deletedCount!, row.type);
    assert.ok(fs.existsSync(path.join(fx.snapshotDir, run, 'b.nodes')), 'the index is kept beside the stored snapshot');

    // A snapshot without an index (analysed before indexes were kept) still diffs by type; the id fields are null.
    fs.renameSync(path.join(fx.snapshotDir, run, 'a.nodes'), path.join(fx.snapshotDir, run, 'a.nodes.away'));
    const old = await getJson<{ matchedById: boolean; rows: TypeDiffRow[] }>(api(`${run}/diff?a=a&b=b`));
    assert.equal(old.status, 200);
    assert.equal(old.body.matchedById, false);
    assert.deepEqual(byType(old.body.rows), byType(res.body.rows));
    for (const row of old.body.rows) assert.deepEqual([row.newCount, row.deletedCount, row.newSize, row.deletedSize], [null, null, null, null]);
    // A damaged one likewise (and is logged).
    fs.writeFileSync(path.join(fx.snapshotDir, run, 'a.nodes'), 'not an index');
    const damaged = await getJson<{ matchedById: boolean }>(api(`${run}/diff?a=a&b=b`));
    assert.deepEqual([damaged.status, damaged.body.matchedById], [200, false]);
    fs.renameSync(path.join(fx.snapshotDir, run, 'a.nodes.away'), path.join(fx.snapshotDir, run, 'a.nodes'));
    for (let i = 1; i < res.body.rows.length; i++) assert.ok(res.body.rows[i - 1].retainedSizeDelta >= res.body.rows[i].retainedSizeDelta);
    const leak = res.body.rows.find((r) => r.type === 'LeakwatchTestLeak');
    assert.equal(leak?.countDelta, LEAKS);
    assert.ok((leak?.retainedSizeDelta ?? 0) > 0);
    const types = new Set([...a.types, ...b.types].map((t) => t.type));
    assert.equal(res.body.rows.length, types.size, 'the union of both snapshots\' types');

    const unknown = await getJson<{ error: { code: string } }>(api(`${run}/diff?a=a&b=nope`));
    assert.equal(unknown.status, 404);
    const missing = await getJson<{ error: { code: string } }>(api(`${run}/diff?a=a`));
    assert.equal(missing.status, 400);
  } finally {
    await probe.close();
  }
  // Only ready snapshots can be diffed.
  await failChecksum('bad-checksum', 'snap-x');
  const failedOne = await getJson<{ error: { code: string; message: string } }>(api(`bad-checksum/diff?a=snap-x&b=snap-x`));
  assert.equal(failedOne.status, 400);
  assert.match(failedOne.body.error.message, /snap-x is failed/);
});

test('?boot= asks the probe of that process, not the newest; an unknown process is 409, a malformed one 400', { timeout: 60_000 }, async () => {
  const run = 'two-processes';
  // Two processes of one run (a cluster's workers, a worker thread): the second connected last.
  const first = await connectRawProbe(ingestUrl(), run, 'boot-first');
  const second = await connectRawProbe(ingestUrl(), run, 'boot-second');
  try {
    await first.waitForAck(first.sendBatch(1));
    await second.waitForAck(second.sendBatch(1));

    const aimed = fetch(api(`${run}/snapshots?boot=boot-first`), { method: 'POST' });
    const requestId = await first.waitForRequest();
    first.sendStatus({ state: 'capturing', snapshotId: 'first-1', requestId });
    const answer = await aimed;
    assert.equal(answer.status, 202);
    assert.equal(((await answer.json()) as { snapshot: SnapshotRecord }).snapshot.boot, 'boot-first');
    assert.equal(second.requests.length, 0, 'the newest probe was not asked');

    // Without ?boot= the newest connection is asked, as before.
    const plain = fetch(api(`${run}/snapshots`), { method: 'POST' });
    second.sendStatus({ state: 'capturing', snapshotId: 'second-1', requestId: await second.waitForRequest() });
    assert.equal((await plain).status, 202);

    const unknown = await fetch(api(`${run}/snapshots?boot=boot-gone`), { method: 'POST' });
    assert.equal(unknown.status, 409);
    assert.match(JSON.stringify(await unknown.json()), /LW_ERR_SNAPSHOT_NO_PROBE.*no probe of process boot-gone of run two-processes/);
    const malformed = await fetch(api(`${run}/snapshots?boot=${encodeURIComponent('../x y')}`), { method: 'POST' });
    assert.equal(malformed.status, 400);
  } finally {
    await first.close();
    await second.close();
  }
});
