import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { CliProcess } from './helpers/cli';
import { startSampleRun, stopSampleRun } from './helpers/sample-run';
import { MEASURED_FLOOR_FLAGS } from './helpers/measured-floor';
import { makeTempDir } from './helpers/temp-dir';
import { launchChromium, openWatchedPage, screenshotPath, type ChartView } from './helpers/ui-browser';
import { waitFor } from './helpers/wait-for';

/**
 * The leak verdict in the browser UI (real headless Chromium), against `leakwatch run` on the
 * leaky sample: its embedded collector (chDB) answers /api/runs/:id/verdict from the real probe's
 * data. The run is minutes long at most, so the pages get loose thresholds through their query
 * (?maxSlope=1KB/h&minDuration=20s); without them the same run is too short to judge.
 */

const LOOSE = 'maxSlope=1KB/h&minDuration=20s';
/**
 * The detector skips a one-minute warm-up and wants ten floor windows of at least 15 s after it
 * (with a major GC every second, see fixtures/steady-major-gc.ts), so the leak shows after about
 * three and a half minutes of run; this leaves room for a slow machine.
 */
const LEAK_TIMEOUT_MS = 360_000;

const temp = makeTempDir('ui-verdict');
let cli: CliProcess | undefined;
let browser: Browser | undefined;
let base = '';
let runId = '';

const openPage = (url: string) => openWatchedPage(browser, url);

/** The verdict line's state once its first answer arrived ('pending' until then). */
async function settledVerdict(page: Page): Promise<string> {
  const line = page.locator('.verdict-line:not([data-verdict=pending])');
  await line.waitFor({ timeout: 30_000 });
  return (await line.getAttribute('data-verdict')) ?? '';
}

/** The heap chart's dataset with this label, as plain points. */
function heapDataset(page: Page, label: string): Promise<{ x: number; y: number }[] | null> {
  return page.evaluate((wanted) => {
    const heap = (globalThis as unknown as { leakwatchCharts?: { heap: ChartView } }).leakwatchCharts?.heap;
    const dataset = heap?.data.datasets.find((d) => d.label === wanted);
    return dataset ? dataset.data.map((p) => ({ x: p.x, y: p.y })) : null;
  }, label);
}

before(async () => {
  // Fails the suite (does not skip it) when Chromium is missing.
  browser = await launchChromium();
  ({ cli, base, runId } = await startSampleRun(['--port', '0', '--data', path.join(temp.dir, 'data'), '--interval', '250ms', '--name', 'ui-verdict', ...MEASURED_FLOOR_FLAGS], 'leaky-cache-server.js'));
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await stopSampleRun(cli);
  temp.remove();
});

test('run page: the verdict starts inconclusive and turns to leak without a reload; floor and trend on the heap chart', { timeout: LEAK_TIMEOUT_MS + 60_000 }, async () => {
  // Opened right at the start: even 20 s after the warm-up is out of reach yet.
  const { page, watch } = await openPage(`${base}/runs/${runId}?${LOOSE}`);
  try {
    assert.equal(await settledVerdict(page), 'inconclusive');
    assert.match((await page.locator('.verdict-reasons').textContent()) ?? '', /too short/);
    assert.deepEqual(await heapDataset(page, 'floor trend'), [], 'no trend line before the detector fitted one');
    // A reload would drop this marker: the change below must come from the page's own refresh.
    await page.evaluate(() => ((globalThis as unknown as { verdictMarker: string }).verdictMarker = 'same page'));

    let lastLine = '';
    await waitFor('the verdict to turn to leak', async () => {
      lastLine = (await page.locator('.verdict-line').textContent()) ?? '';
      return (await page.locator('body').getAttribute('data-verdict')) === 'leak';
    }, LEAK_TIMEOUT_MS, 1000).catch((err: Error) => {
      throw new Error(`${err.message}; the verdict line said: ${lastLine}`);
    });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { verdictMarker?: string }).verdictMarker), 'same page');

    const badge = page.locator('.verdict-line .verdict[data-verdict=leak]');
    assert.equal(await badge.textContent(), 'leak');
    assert.match((await badge.getAttribute('title')) ?? '', /^heap floor /, 'the badge title is the deciding reason');
    // The probe measured the floor (MEASURED_FLOOR_FLAGS): the line says so, and the points are drawn apart from V8's.
    assert.match((await page.locator('.verdict-line [data-role=slope]').textContent()) ?? '', /^heap floor \+\d+(\.\d+)? (KB|MB|GB)\/h \(measured\)$/);
    const measured = await heapDataset(page, "measured floor (probe's full GC)");
    assert.ok(measured && measured.length >= 10, `measured floor points are drawn (${measured?.length})`);
    const reasons = await page.locator('.verdict-reasons li').allTextContents();
    assert.ok(reasons.length >= 1 && reasons.some((r) => /no saturation/.test(r)), `reasons: ${reasons.join(' | ')}`);

    const floor = await heapDataset(page, 'heap floor (verdict)');
    assert.ok(floor && floor.length >= 10, `the judged floor is drawn (${floor?.length} points)`);
    const trend = await heapDataset(page, 'floor trend');
    assert.ok(trend && trend.length === 2, 'the trend is a two-point line');
    assert.ok(trend[1].x > trend[0].x && trend[1].y > trend[0].y, `the trend rises: ${JSON.stringify(trend)}`);
    await page.screenshot({ path: screenshotPath('verdict'), fullPage: true });
    assert.deepEqual(watch.errors, []);
  } finally {
    await page.close();
  }
});

test('runs list: the row badge shows leak with the loose thresholds, and links keep them', { timeout: 60_000 }, async () => {
  const { page, watch } = await openPage(`${base}/?${LOOSE}`);
  try {
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    const badge = page.locator(`tr[data-run-id="${runId}"] .verdict[data-verdict=leak]`);
    await badge.waitFor({ timeout: 30_000 });
    assert.match((await badge.getAttribute('title')) ?? '', /^heap floor /);
    const href = (await page.locator(`tr[data-run-id="${runId}"] td.name a`).getAttribute('href')) ?? '';
    assert.equal(new URL(href, base).searchParams.get('maxSlope'), '1KB/h');
    assert.deepEqual(watch.errors, []);
  } finally {
    await page.close();
  }
});

test('default thresholds: the same run is inconclusive (too short) on both pages', { timeout: 90_000 }, async () => {
  const run = await openPage(`${base}/runs/${runId}`);
  try {
    assert.equal(await settledVerdict(run.page), 'inconclusive');
    assert.equal(await run.page.locator('body').getAttribute('data-verdict'), 'inconclusive');
    assert.match((await run.page.locator('.verdict-line .verdict').getAttribute('title')) ?? '', /too short/);
    assert.deepEqual(await heapDataset(run.page, 'floor trend'), []);
    assert.deepEqual(run.watch.errors, []);
  } finally {
    await run.page.close();
  }
  const list = await openPage(`${base}/`);
  try {
    const badge = list.page.locator(`tr[data-run-id="${runId}"] .verdict[data-verdict=inconclusive]`);
    await badge.waitFor({ timeout: 30_000 });
    assert.match((await badge.getAttribute('title')) ?? '', /too short/);
    assert.deepEqual(list.watch.errors, []);
  } finally {
    await list.page.close();
  }
});

test('a threshold the collector rejects shows as an error verdict with its code', { timeout: 60_000 }, async () => {
  const { page } = await openPage(`${base}/runs/${runId}?maxSlope=fast`);
  try {
    assert.equal(await settledVerdict(page), 'error');
    assert.match((await page.locator('.verdict-reasons').textContent()) ?? '', /LW_ERR_BAD_REQUEST/);
  } finally {
    await page.close();
  }
});
