import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { SnapshotBody, SnapshotsBody } from '../src/api/http-contract';
import { startCollector, type Collector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { HEALTHY_RUN, LEAKY_RUN, TREND_QUERY, startComparedReleases } from './helpers/compare-fixture';
import { makeTempDir } from './helpers/temp-dir';
import { launchChromium, openWatchedPage, screenshotPath } from './helpers/ui-browser';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * The compare view in real headless Chromium, against a collector fed by two real apps with the
 * real probe (two releases, test/helpers/compare-fixture.ts): picked on the runs list, the two
 * runs side by side with their verdicts, per-process floor slopes and top types, and the
 * dependency, version and commit changes between them.
 */
const tmp = makeTempDir('ui-compare');
let store: Store | undefined;
let collector: Collector | undefined;
let browser: Browser | undefined;
let children: ChildProcess[] = [];

before(async () => {
  browser = await launchChromium();
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(tmp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: createLogger('warn'), snapshotDir: path.join(tmp.dir, 'snapshots') });
  children = await startComparedReleases(tmp.dir, collector.url);
  // One analysed snapshot of the leaky release, so its side has top types and the healthy one has none.
  const res = await fetch(`${collector.url}/api/runs/${LEAKY_RUN}/snapshots`, { method: 'POST' });
  const text = await res.text();
  assert.equal(res.status, 202, text);
  const { snapshot } = JSON.parse(text) as SnapshotBody;
  await waitFor('the snapshot analysed', async () => {
    const list = (await getJson<SnapshotsBody>(`${collector!.url}/api/runs/${LEAKY_RUN}/snapshots`)).body.snapshots;
    const it = list.find((s) => s.id === snapshot.id);
    if (it?.status === 'failed' || it?.status === 'refused') throw new Error(`snapshot ${it.status}: ${it.reason}`);
    return it?.status === 'ready';
  }, 120_000, 500);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  for (const child of children) child.kill('SIGKILL');
  await collector?.close();
  await store?.close();
  tmp.remove();
});

test('compare view: two runs picked on the runs list, side by side with verdicts, slopes, top types and the dependency diff', { timeout: 120_000 }, async () => {
  const { page, watch } = await openWatchedPage(browser, `${collector!.url}/?${TREND_QUERY}`);
  try {
    await page.waitForSelector(`tr[data-run-id="${LEAKY_RUN}"]`, { timeout: 30_000 });
    const button = page.locator('.compare-button');
    assert.equal(await button.isDisabled(), true, 'nothing picked yet');
    // Picked newest first: the page still puts the older run (the healthy release) on the left.
    await page.locator(`tr[data-run-id="${LEAKY_RUN}"] input.compare-pick`).check();
    assert.equal(await button.isDisabled(), true, 'one run is not a comparison');
    await page.locator(`tr[data-run-id="${HEALTHY_RUN}"] input.compare-pick`).check();
    await button.click();
    await page.waitForURL(/\/compare\?/);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('a'), HEALTHY_RUN);
    assert.equal(url.searchParams.get('b'), LEAKY_RUN);
    assert.equal(url.searchParams.get('maxSlope'), '64MB/h', 'the thresholds travel with the link');
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });

    const a = page.locator('[data-side=a]');
    const b = page.locator('[data-side=b]');
    assert.equal(await a.getAttribute('data-run-id'), HEALTHY_RUN);
    assert.equal(await b.getAttribute('data-run-id'), LEAKY_RUN);
    assert.equal(await b.locator('.compare-verdict [data-verdict]').getAttribute('data-verdict'), 'leak');
    assert.notEqual(await a.locator('.compare-verdict [data-verdict]').getAttribute('data-verdict'), 'leak');
    for (const side of [a, b]) {
      assert.equal(await side.locator('.compare-processes tbody tr').count(), 1);
      assert.match((await side.locator('.compare-processes .floor-slope').textContent()) ?? '', /[KMG]B\/h|B\/h/);
    }
    assert.equal(await b.locator('.compare-processes [data-verdict]').getAttribute('data-verdict'), 'leak');
    assert.match((await b.locator('.compare-identity').textContent()) ?? '', /orders 1\.1\.0 · commit bbbbbbbbbbbb/);
    // Top types: the leaky side's snapshot, none on the healthy side.
    assert.ok((await b.locator('.compare-types tbody tr').count()) > 0);
    assert.equal(await a.locator('.compare-no-snapshot').count(), 1);

    const row = (kind: string, name: string) => page.locator(`.compare-deps tr[data-kind=${kind}][data-name="${name}"]`);
    assert.equal(await row('added', 'lru-cache').locator('.dep-to').textContent(), '10.2.0');
    assert.equal(await row('removed', 'left-pad').locator('.dep-from').textContent(), '1.3.0');
    assert.equal(await row('upgraded', 'express').locator('.dep-from').textContent(), '4.18.2');
    assert.equal(await row('upgraded', 'express').locator('.dep-to').textContent(), '4.19.2');
    assert.equal(await row('upgraded', 'body-parser').locator('.dep-to').textContent(), '1.20.2');
    assert.equal(await page.locator('.compare-deps tbody tr').count(), 4, 'lodash and ms did not change');
    assert.match((await page.locator('.dep-summary').textContent()) ?? '', /1 added, 1 removed, 2 upgraded, 0 downgraded, 0 changed, 2 unchanged/);
    assert.match((await page.locator('.compare-identity-changes tr[data-field=gitCommit]').textContent()) ?? '', /a{40}b{40}/);
    assert.match((await page.locator('.compare-identity-changes tr[data-field=appVersion]').textContent()) ?? '', /1\.0\.01\.1\.0/);
    assert.deepEqual(watch.errors, []);
  } finally {
    await page.screenshot({ path: screenshotPath('compare'), fullPage: true });
    await page.close();
  }
});

test('compare view: an unknown run is the API\'s LW_ERR_NOT_FOUND in the banner', { timeout: 60_000 }, async () => {
  const { page } = await openWatchedPage(browser, `${collector!.url}/compare?a=${HEALTHY_RUN}&b=no-such-run`);
  try {
    await page.waitForSelector('body[data-state=error]', { timeout: 30_000 });
    assert.equal(await page.locator('.banner-code').textContent(), 'LW_ERR_NOT_FOUND');
    assert.match((await page.locator('.banner-text').textContent()) ?? '', /no-such-run/);
  } finally {
    await page.close();
  }
});
