import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startCollector, type Collector } from '../src/collector/collector';
import { createProbe, type ProbeHandle } from '../src/probe';
import { createLogger } from '../src/shared/log';
import { resolveProbeConfig } from '../src/shared/probe-config';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { makeTempDir } from './helpers/temp-dir';
import { launchChromium, openWatchedPage, screenshotPath } from './helpers/ui-browser';
import { getJson, waitFor } from './helpers/wait-for';

/**
 * Signing in to a collector that has a read token, in real headless Chromium: the page sends the
 * browser to the sign-in form, a wrong token is refused, the right one sets a cookie the page's
 * scripts cannot read, and the UI's API calls and its /live socket then work as on an open
 * collector. The data is the test process's own, sent by a real probe.
 */

const PROBE_TOKEN = 'probe-token-e29b4c7a10d5f386';
const READ_TOKEN = 'read-token-8a1f5d3c6e0b9247';
const RUN_ID = 'signed-in-run';
const temp = makeTempDir('ui-sign-in');
let store: Store;
let collector: Collector;
let probe: ProbeHandle | undefined;
let browser: Browser | undefined;

before(async () => {
  browser = await launchChromium();
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, token: PROBE_TOKEN, readToken: READ_TOKEN, flushIntervalMs: 100, snapshotDir: path.join(temp.dir, 'snapshots'), log: createLogger('silent') });
  probe = createProbe(resolveProbeConfig({ collector: collector.url, token: PROBE_TOKEN, runId: RUN_ID, interval: 200, allocSampling: false, uploadSourceMaps: false }), () => {});
  await waitFor('the probe run', async () => {
    const res = await fetch(`${collector.url}/api/runs/${RUN_ID}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    return res.status === 200;
  });
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await probe?.stop(500);
  await collector?.close();
  await store?.close();
  temp.remove();
});

test('a browser signs in once with the read token; the run page, its API calls and /live then work', { timeout: 90_000 }, async () => {
  assert.equal((await getJson<{ error: { code: string } }>(`${collector.url}/api/runs`)).status, 401);
  const { page, watch } = await openWatchedPage(browser, `${collector.url}/runs/${RUN_ID}`);
  try {
    // Sent to the form, with the way back.
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.equal(await page.inputValue('input[name=next]'), `/runs/${RUN_ID}`);

    await page.fill('input[name=token]', PROBE_TOKEN);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.match(await page.textContent('[role=alert]') ?? '', /LW_ERR_AUTH: wrong read token/);
    assert.deepEqual(await page.context().cookies(), []);
    // The refused form is a 401 page, which Chromium logs; what counts is what follows the sign-in.
    const errorsBefore = watch.errors.length;

    await page.fill('input[name=token]', READ_TOKEN);
    await Promise.all([page.waitForURL(`${collector.url}/runs/${RUN_ID}`), page.click('button[type=submit]')]);
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });

    const [cookie] = await page.context().cookies();
    assert.equal(cookie.name, 'leakwatch_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.notEqual(cookie.value, READ_TOKEN);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie), '', 'the page\'s scripts cannot read the session');

    // The page's own calls go through with the cookie alone: its fetches and the live pushes.
    await waitFor('live batch frames on /live', () => watch.batchFrames() > 0, 20_000);
    const fromPage = await page.evaluate(async (run) => (await fetch(`/api/runs/${run}`)).status, RUN_ID);
    assert.equal(fromPage, 200);
    assert.deepEqual(watch.errors.slice(errorsBefore), []);
  } catch (err) {
    await page.screenshot({ path: screenshotPath('sign-in') }).catch(() => undefined);
    throw err;
  } finally {
    await page.close();
  }
});
