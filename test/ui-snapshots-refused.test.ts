import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { PROBE_ENV } from '../src/shared/probe-config';
import type { RunSummary } from '../src/shared/run-data';
import type { CliProcess } from './helpers/cli';
import { startSampleRun, stopSampleRun } from './helpers/sample-run';
import { markerPositions, openSnapshotPage, snapshotsOf as snapshotsAt, takeSnapshot } from './helpers/snapshot-page';
import { makeTempDir } from './helpers/temp-dir';
import { launchChromium, screenshotPath } from './helpers/ui-browser';
import { getJson, waitFor } from './helpers/wait-for';

/**
 * The run page's heap snapshot section when the probe refuses every snapshot, in real headless
 * Chromium against the real CLI: a run whose probe's headroom guard says no joins a collector
 * that outlives it (an embedded one, started by a run of the leaky sample server), so the page
 * can still be opened once the refusing run has ended.
 */

/** The probe's headroom guard asks for a thousand times its estimate: every snapshot is refused. */
const REFUSE_ENV: NodeJS.ProcessEnv = { [PROBE_ENV.snapshotHeadroomFactor]: '1000' };

const temp = makeTempDir('ui-snapshots-refused');
let cli: CliProcess | undefined;
let refusingCli: CliProcess | undefined;
let browser: Browser | undefined;
let base = '';

const openPage = (url: string) => openSnapshotPage(browser, url);
const snapshotsOf = (id: string) => snapshotsAt(base, id);

before(async () => {
  browser = await launchChromium();
  ({ cli, base } = await startSampleRun(['--port', '0', '--data', path.join(temp.dir, 'data'), '--interval', '250ms', '--name', 'ui-snapshots'], 'leaky-cache-server.js'));
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await stopSampleRun(refusingCli);
  await stopSampleRun(cli);
  temp.remove();
});

test('refused snapshot: the answer, the list row, the marker and the type table show the probe\'s reason', { timeout: 120_000 }, async () => {
  // A second run on the same collector whose probe's headroom guard refuses every snapshot.
  const refusing = await startSampleRun(['--collector', base, '--interval', '250ms', '--name', 'ui-refused'], 'healthy-churn-server.js', REFUSE_ENV);
  refusingCli = refusing.cli;
  const refusedRunId = refusing.runId;
  const { page, watch } = await openPage(`${base}/runs/${refusedRunId}`);
  try {
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    await page.waitForSelector('[data-section=snapshots][data-loaded=true]');
    const answer = await takeSnapshot(page);
    const [record] = await snapshotsOf(refusedRunId);
    assert.ok(record, 'the refusal is recorded');
    assert.equal(record.status, 'refused');
    assert.ok(record.reason.length > 0, 'a refusal has a reason');
    assert.equal(answer.answer, 'refused', answer.text);
    assert.equal(answer.code, record.errorCode);
    assert.ok(answer.text.includes(record.reason), `the answer quotes the reason: ${answer.text}`);

    const row = page.locator(`tr[data-snapshot-id="${record.id}"][data-status=refused]`);
    await row.waitFor();
    const reason = (await row.locator('.snap-reason').textContent()) ?? '';
    assert.ok(reason.includes(record.reason) && reason.includes(record.errorCode), `the row shows code and reason: ${reason}`);
    assert.equal(await row.locator('a[data-action=download]').count(), 0, 'nothing to download');
    assert.equal(await row.locator('button[data-action=set-a]').isDisabled(), true, 'a refused snapshot cannot be compared');

    await waitFor('the refused marker on the heap chart', async () => (await markerPositions(page)).some((m) => m.id === record.id && m.status === 'refused'), 10_000);
    await row.locator('td').nth(1).click();
    await page.waitForSelector(`[data-part=types][data-state=unavailable][data-snapshot-id="${record.id}"]`);
    assert.ok(((await page.locator('[data-part=types]').textContent()) ?? '').includes(record.reason));
    await page.locator('[data-section=snapshots]').screenshot({ path: screenshotPath('snapshot-refused') });
    assert.deepEqual(watch.errors, []);
  } finally {
    await page.close();
  }

  // Once the run is over no probe can answer: the button says so with the collector's code.
  await stopSampleRun(refusingCli);
  await waitFor('the refusing run to end', async () => (await getJson<{ run: RunSummary }>(`${base}/api/runs/${refusedRunId}`)).body.run.status === 'ended', 15_000);
  const ended = await openPage(`${base}/runs/${refusedRunId}`);
  try {
    await ended.page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    const noProbe = await takeSnapshot(ended.page);
    assert.deepEqual([noProbe.answer, noProbe.code], ['error', 'LW_ERR_SNAPSHOT_NO_PROBE'], noProbe.text);
    // The browser logs the 409 itself; nothing else may go wrong.
    assert.deepEqual(ended.watch.errors.filter((e) => !/status of 409/.test(e)), []);
  } finally {
    await ended.page.close();
  }
});
