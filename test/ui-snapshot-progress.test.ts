import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { APIResponse, Browser, Route } from 'playwright-core';
import { startCollector, type Collector } from '../src/collector/collector';
import { SNAPSHOT_CHUNK_BYTES } from '../src/protocol/snapshot-messages';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { writeGrowingSnapshots } from './helpers/heap-snapshot-files';
import { connectRawProbe } from './helpers/raw-probe';
import { recordRowStates, seenRowStates } from './helpers/snapshot-rows';
import { clickTakeSnapshot } from './helpers/snapshot-page';
import { uploadSnapshot } from './helpers/snapshot-upload-client';
import { makeTempDir } from './helpers/temp-dir';
import { launchChromium, openWatchedPage, screenshotPath, watchPage } from './helpers/ui-browser';
import { waitFor } from './helpers/wait-for';

/*
 * Upload progress on the run page, in headless Chromium against a real collector (chDB). The probe
 * end is played over real sockets and sends a real V8 snapshot over a slow link (a pause between
 * 1 MiB chunks), so the percentages the page shows can be watched; a real probe on this machine
 * uploads a few MB in milliseconds and no step would be seen.
 */

const temp = makeTempDir('ui-snapshot-progress');
let store: Store;
let collector: Collector;
let browser: Browser | undefined;
let file: string;

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: createLogger('silent'), flushIntervalMs: 100, snapshotDir: path.join(temp.dir, 'snapshots') });
  file = (await writeGrowingSnapshots(temp.dir, 15_000)).after;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await collector?.close();
  await store?.close();
  temp.remove();
});

test('run page: a snapshot uploading over a slow link shows its percentage and bar rising, then ready', { timeout: 120_000 }, async () => {
  const run = 'ui-progress';
  const chunks = Math.ceil(fs.statSync(file).size / SNAPSHOT_CHUNK_BYTES);
  assert.ok(chunks >= 4, `the snapshot spans several chunks (${chunks})`);
  const probe = await connectRawProbe(`${collector.url.replace('http', 'ws')}/ingest`, run);
  try {
    await probe.waitForAck(probe.sendBatch(3));
    const { page, watch } = await openWatchedPage(browser, `${collector.url}/runs/${run}`);
    try {
      await page.waitForSelector('button[data-action=take-snapshot]');
      await recordRowStates(page);

      await clickTakeSnapshot(page);
      const requestId = await probe.waitForRequest(30_000);
      probe.sendStatus({ state: 'capturing', snapshotId: 'slow-1', requestId });
      await page.waitForSelector('tr[data-snapshot-id="slow-1"]', { timeout: 30_000 });
      const upload = await uploadSnapshot(collector.url, { run, boot: probe.boot, snapshotId: 'slow-1', file, chunkDelayMs: 400 });
      assert.equal(upload.stored, true, upload.reason);
      await page.waitForSelector('tr[data-snapshot-id="slow-1"][data-status=ready]', { timeout: 60_000 });

      const states = (await seenRowStates(page))['slow-1'] ?? [];
      const shown = states.join(' | ');
      assert.equal(states[states.length - 1], 'ready', shown);
      // What a user reads while it uploads: "uploading NN %" next to a bar at the same fraction.
      const uploading = states
        .map((s) => /^uploading uploading:(\d+)\/(\d+) "uploading (\d+) %" bar=([\d.]+)$/.exec(s))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ done: Number(m[1]), total: Number(m[2]), percent: Number(m[3]), bar: Number(m[4]) }));
      assert.ok(uploading.length >= 2, `at least two upload steps shown: ${shown}`);
      for (const step of uploading) {
        assert.equal(step.total, fs.statSync(file).size, 'the total is the announced file size');
        assert.equal(step.percent, Math.floor((step.done / step.total) * 100), `the text matches the bytes: ${shown}`);
        assert.ok(Math.abs(step.bar - step.done / step.total) < 1e-9, `the bar matches the bytes: ${shown}`);
      }
      for (let i = 1; i < uploading.length; i++) assert.ok(uploading[i]!.done > uploading[i - 1]!.done, `the upload only goes forward: ${shown}`);
      assert.ok(uploading.some((s) => s.percent > 0 && s.percent < 100), `a step strictly between 0 and 100 %: ${shown}`);
      // Then the collector's analysis, also with its percentage, and the statuses only move forward.
      assert.ok(states.some((s) => /^analysing analysing:\d+\/\d+ "analysing \d+ %" bar=[\d.]+$/.test(s)), `the analysis shown with its percentage: ${shown}`);
      const order = ['capturing', 'uploading', 'analysing', 'ready'];
      const ranks = states.map((s) => order.indexOf(s.split(' ')[0]!));
      assert.ok(ranks.every((r, i) => r >= 0 && (i === 0 || r >= ranks[i - 1]!)), `capturing, uploading, analysing, ready in that order: ${shown}`);
      assert.deepEqual(watch.errors, []);
    } catch (err) {
      await page.screenshot({ path: screenshotPath('snapshot-progress'), fullPage: true }).catch(() => undefined);
      throw err;
    } finally {
      await page.close();
    }
  } finally {
    await probe.close();
  }
});

test('run page: a list read answered after a snapshot appeared does not drop that snapshot', { timeout: 120_000 }, async () => {
  // The race CI once hit: the page's list read (at load, and again when /live connects) reaches
  // the collector before the probe's "capturing" is stored, but its answer arrives after the take
  // button's answer put the row on screen. The list does not know the row; the row must stay.
  const run = 'ui-late-list';
  const probe = await connectRawProbe(`${collector.url.replace('http', 'ws')}/ingest`, run);
  assert.ok(browser, 'browser launched');
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const watch = watchPage(page);
  try {
    await probe.waitForAck(probe.sendBatch(3));
    // Every list read is answered by the collector at once, but handed to the page only on release.
    const held: { route: Route; response: Promise<APIResponse> }[] = [];
    let release: (() => void) | undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route(`**/api/runs/${run}/snapshots`, async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      const response = route.fetch();
      held.push({ route, response });
      await released;
      await route.fulfill({ response: await response });
    });
    await page.goto(`${collector.url}/runs/${run}`);
    await page.waitForSelector('.connection.connected');
    await waitFor('the list read at load and the one when /live connected', () => held.length >= 2, 10_000);
    const before = await Promise.all(held.map((h) => h.response.then((r) => r.json() as Promise<{ snapshots: unknown[] }>)));
    assert.deepEqual(before.map((b) => b.snapshots.length), held.map(() => 0), 'the held list reads were answered before the snapshot existed');

    await clickTakeSnapshot(page);
    const requestId = await probe.waitForRequest(30_000);
    probe.sendStatus({ state: 'capturing', snapshotId: 'late-1', requestId });
    await page.waitForSelector('tr[data-snapshot-id="late-1"][data-status=capturing]', { timeout: 30_000 });

    release?.();
    await page.waitForSelector('[data-section=snapshots][data-loaded=true]', { timeout: 30_000 });
    assert.equal(await page.locator('tr[data-snapshot-id="late-1"]').count(), 1, 'the row is still listed after the stale list was applied');
    assert.equal(await page.getAttribute('[data-section=snapshots]', 'data-count'), '1');
    assert.deepEqual(watch.errors, []);
  } catch (err) {
    await page.screenshot({ path: screenshotPath('snapshot-late-list'), fullPage: true }).catch(() => undefined);
    throw err;
  } finally {
    await page.close();
    await probe.close();
  }
});
