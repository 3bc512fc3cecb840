import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { CliProcess } from './helpers/cli';
import { startSampleRun, stopSampleRun } from './helpers/sample-run';
import { makeTempDir } from './helpers/temp-dir';
import { CHART_NAMES, chartSummary, launchChromium, openWatchedPage, screenshotPath } from './helpers/ui-browser';
import { waitFor } from './helpers/wait-for';

/**
 * The browser UI in real headless Chromium, against the real CLI: `leakwatch run` starts the
 * embedded collector (chDB) and attaches the real probe to a sample server.
 */

const temp = makeTempDir('ui');
let cli: CliProcess | undefined;
let browser: Browser | undefined;
let base = '';
let runId = '';

const openPage = (url: string) => openWatchedPage(browser, url);

before(async () => {
  // Fails the suite (does not skip it) when Chromium is missing.
  browser = await launchChromium();
  ({ cli, base, runId } = await startSampleRun(['--port', '0', '--data', path.join(temp.dir, 'data'), '--interval', '250ms', '--name', 'ui-test'], 'healthy-churn-server.js'));
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await stopSampleRun(cli);
  temp.remove();
});

test('run page: five charts from the API, byte and ms axes, then live batches appended', { timeout: 90_000 }, async () => {
  const { page, watch } = await openPage(`${base}/runs/${runId}`);
  try {
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    await page.waitForFunction(() => {
      const charts = (globalThis as unknown as { leakwatchCharts?: { heap: { data: { datasets: { data: { y: number }[] }[] } } } }).leakwatchCharts;
      return (charts?.heap.data.datasets[0]?.data ?? []).some((p) => p.y > 0);
    }, undefined, { timeout: 20_000 });

    const heap = await chartSummary(page, 'heap');
    assert.deepEqual(heap.datasets.slice(0, 3).map((d) => d.label), ['heap used', 'heap total', 'heap limit']);
    assert.ok(heap.datasets[0].positive > 0 && heap.datasets[1].positive > 0, 'heap used/total have points with y > 0');
    assert.equal(heap.datasets[2].visible, false, 'heap limit starts hidden (legend toggles it)');
    for (const tick of heap.yTicks) assert.match(tick, /^\d+(\.\d+)? (B|KB|MB|GB)$/, 'byte axis labels');
    assert.ok(heap.xTicks.length >= 2, `time ticks: ${heap.xTicks.join(', ')}`);
    for (const tick of heap.xTicks) assert.match(tick, /\d{1,2}[:.]\d{2}/, 'x ticks read as local clock times');

    for (const name of ['memory', 'spaces', 'eventLoop'] as const) {
      const chart = await chartSummary(page, name);
      assert.ok(chart.datasets.some((d) => d.positive > 0), `${name} chart has data`);
    }
    const spaces = await chartSummary(page, 'spaces');
    assert.ok(spaces.datasets.some((d) => d.label === 'old_space'), 'spaces chart has a dataset per V8 space');
    const eventLoop = await chartSummary(page, 'eventLoop');
    for (const tick of eventLoop.yTicks) assert.match(tick, / (ms|s)$/, 'ms axis labels');

    // All charts show the same time range.
    const ranges = await Promise.all(CHART_NAMES.map((name) => chartSummary(page, name)));
    for (const chart of ranges) assert.deepEqual([chart.xMin, chart.xMax], [heap.xMin, heap.xMax]);

    // Live: more points arrive through /live pushes, without reloading the page.
    const before = heap.datasets[0];
    await waitFor('live points on the heap chart', async () => {
      const now = (await chartSummary(page, 'heap')).datasets[0];
      return now.lastX !== null && before.lastX !== null && now.lastX > before.lastX && now.points > 0;
    }, 20_000, 250);
    assert.ok(watch.batchFrames() > 0, 'batch frames arrived on /live');
    const later = await chartSummary(page, 'heap');
    const newest = later.datasets[0].lastX ?? Number.NaN;
    assert.ok(later.xMax >= heap.xMax && newest <= later.xMax && newest >= later.xMin, 'the x range follows the newest data');

    assert.equal(await page.locator('.banner').isVisible(), false, 'no error banner');
    assert.equal(await page.locator('.run-title h1').textContent(), 'ui-test');
    assert.equal(await page.locator('.run-title .status').textContent(), 'live');
    const shot = screenshotPath('run');
    await page.screenshot({ path: shot, fullPage: true });
    assert.deepEqual(watch.errors, [], 'no script or console errors');
  } finally {
    await page.close();
  }
});

test('run page: drag-to-zoom syncs every chart and refetches that range; live returns to following', { timeout: 60_000 }, async () => {
  const { page, watch } = await openPage(`${base}/runs/${runId}`);
  try {
    await page.waitForSelector('body[data-state=ready][data-range=follow]', { timeout: 30_000 });
    const before = await chartSummary(page, 'heap');
    const box = await page.locator('[data-chart=heap] canvas').boundingBox();
    assert.ok(box, 'heap canvas on screen');

    const refetch = page.waitForRequest((req) => /\/api\/runs\/[^/]+\/series\?.*from=\d+.*to=\d+/.test(req.url()), { timeout: 10_000 });
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.4);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.5, { steps: 8 });
    await page.mouse.up();
    const request = new URL((await refetch).url());
    await page.waitForSelector('body[data-range=fixed]');

    const from = Number(request.searchParams.get('from'));
    const to = Number(request.searchParams.get('to'));
    const points = Number(request.searchParams.get('points'));
    assert.ok(from > before.xMin && to < before.xMax + 1 && from < to, `zoomed range [${from}, ${to}] lies inside [${before.xMin}, ${before.xMax}]`);
    assert.ok(points >= 200 && points <= 1400, `points follow the plot width, got ${points}`);
    await waitFor('every chart on the zoomed range', async () => {
      const all = await Promise.all(CHART_NAMES.map((name) => chartSummary(page, name)));
      return all.every((c) => c.xMin === from && c.xMax === to);
    }, 10_000);
    assert.match(page.url(), /\?from=\d+&to=\d+$/, 'the zoomed range is in the URL');

    await page.click('button[data-action=live]');
    await page.waitForSelector('body[data-range=follow]');
    await waitFor('following the newest data again', async () => (await chartSummary(page, 'heap')).xMax >= before.xMax, 10_000);
    assert.deepEqual(watch.errors, []);
  } finally {
    await page.close();
  }
});

test('runs list: the run is listed with its status and links to its page', { timeout: 60_000 }, async () => {
  const { page, watch } = await openPage(`${base}/`);
  try {
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    const row = page.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    assert.match(text, /ui-test/);
    assert.match(text, /live/);
    assert.match(text, /\d+(\.\d+)? (KB|MB|GB)/, 'latest heap used is shown');
    await page.screenshot({ path: screenshotPath('runs'), fullPage: true });

    await row.locator(`a[href="/runs/${runId}"]`).click();
    await page.waitForURL(`${base}/runs/${runId}`);
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    assert.deepEqual(watch.errors, []);
  } finally {
    await page.close();
  }
});

test('an API error is shown in a banner with its code', { timeout: 30_000 }, async () => {
  const { page } = await openPage(`${base}/runs/no-such-run`);
  try {
    await page.waitForSelector('body[data-state=error]', { timeout: 15_000 });
    const banner = page.locator('.banner');
    assert.equal(await banner.isVisible(), true);
    assert.match((await banner.textContent()) ?? '', /LW_ERR_NOT_FOUND/);
  } finally {
    await page.close();
  }
});
