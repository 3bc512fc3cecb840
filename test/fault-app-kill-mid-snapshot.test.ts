import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import type { SnapshotRecord } from '../src/shared/snapshot-data';
import type { RunSummary } from '../src/shared/run-data';
import { openStore } from '../src/store/open-store';
import { startCli, type CliProcess } from './helpers/cli';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * The app is killed while V8 writes its heap snapshot: the likeliest way a snapshot dies (the
 * write needs several times the heap in native memory, so it is what the OOM killer hits). With
 * `leakwatch run`'s embedded collector, the snapshot must end `failed` with the reason, not stay
 * "capturing" forever in the UI.
 */

const temp = makeTempDir('app-kill-snapshot');
let cli: CliProcess | undefined;
after(() => {
  cli?.child.kill('SIGKILL');
  temp.remove();
});

// About 150 MB of small objects: V8 takes seconds to write that, so the kill lands mid-write.
const APP = `
  const held = [];
  for (let i = 0; i < 1_500_000; i++) held.push({ id: i, name: 'item-' + i, tags: [i] });
  setInterval(() => held.length, 100);
`;

test('leakwatch run: an app killed while V8 writes its snapshot leaves the snapshot failed with the reason', { timeout: 120_000 }, async () => {
  const data = path.join(temp.dir, 'data');
  cli = startCli(['run', '--port', '0', '--data', data, '--interval', '200ms', '--', process.execPath, '-e', APP], {
    // The guard is tested elsewhere; here the snapshot must start whatever the machine's memory.
    LEAKWATCH_SNAPSHOT_HEADROOM_FACTOR: '0',
  });
  const [, base, runId] = await cli.waitForLine(/leakwatch UI: (http:\/\/[^/\s]+)\/runs\/([\w-]+)/);
  const run = await waitFor('the app to have built its heap', async () => {
    const { status, body } = await getJson<{ run: RunSummary }>(`${base}/api/runs/${runId}`);
    return status === 200 && (body.run.latestHeapUsed ?? 0) > 120 * 1024 * 1024 ? body.run : undefined;
  }, 60_000);

  const answer = await fetch(`${base}/api/runs/${runId}/snapshots`, { method: 'POST' });
  assert.equal(answer.status, 202);
  const { snapshot } = (await answer.json()) as { snapshot: SnapshotRecord };
  assert.equal(snapshot.status, 'capturing');
  process.kill(run.pid, 'SIGKILL');

  const { code } = await cli.exited;
  assert.equal(code, 137, 'leakwatch run exits with the killed command\'s code');

  const store = await openStore({ target: { kind: 'embedded', dataDir: data }, retentionDays: 30 });
  try {
    const [stored] = await store.listSnapshots(runId!);
    assert.equal(stored?.id, snapshot.id);
    assert.equal(stored?.status, 'failed');
    assert.equal(stored?.errorCode, 'LW_ERR_SNAPSHOT_CAPTURE');
    assert.match(stored?.reason ?? '', /process ended before its snapshot was uploaded/);
  } finally {
    await store.close();
  }
});
