import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startCollector, type Collector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { connectRawProbe, sampleAt, type RawProbe } from './helpers/raw-probe';
import { makeTempDir } from './helpers/temp-dir';
import { CHART_NAMES, launchChromium, openWatchedPage, screenshotPath } from './helpers/ui-browser';
import { waitFor } from './helpers/wait-for';

/*
 * Lost samples on the run page's charts, in real headless Chromium against the real collector
 * over the embedded ClickHouse: a probe socket sends a minute of 1 s samples with two holes, and
 * the batch after each hole reports it as the probe does (`gap`), so the collector stores the
 * gaps and every chart shades them with "N samples lost".
 */
const tmp = makeTempDir('ui-gaps');
const run = 'ui-gaps';
const SECOND = 1000;
const start = Math.floor(Date.now() / SECOND) * SECOND - 70 * SECOND;
let store: Store | undefined;
let collector: Collector | undefined;
let browser: Browser | undefined;
let probe: RawProbe | undefined;

/** Seconds 20..34 and 50 are lost; the next batch after each hole carries its gap. */
const LOST = new Set([...Array.from({ length: 15 }, (_, i) => 20 + i), 50]);
const GAPS = new Map([
  [35, { droppedMessages: 15, droppedSamples: 15, fromTs: start + 20 * SECOND, toTs: start + 34 * SECOND }],
  [51, { droppedMessages: 1, droppedSamples: 1, fromTs: start + 50 * SECOND, toTs: start + 50 * SECOND }],
]);

before(async () => {
  browser = await launchChromium();
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(tmp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: createLogger('warn'), snapshotDir: path.join(tmp.dir, 'snapshots'), flushIntervalMs: 200 });
  probe = await connectRawProbe(`${collector.url.replace('http', 'ws')}/ingest`, run);
  let last = 0;
  for (let s = 0; s < 60; s++) {
    if (LOST.has(s)) continue;
    const batch: Record<string, unknown> = { type: 'batch', samples: [sampleAt(start + s * SECOND, 1e7 + s * 1e5)], spaces: [], gcs: [] };
    if (GAPS.has(s)) batch.gap = GAPS.get(s);
    last = probe.send(batch);
  }
  await probe.waitForAck(last);
});

after(async () => {
  await probe?.close();
  await browser?.close().catch(() => undefined);
  await collector?.close();
  await store?.close();
  tmp.remove();
});

/** The parts of a canvas the pixel check reads (the test build has no DOM types). */
interface CanvasView {
  width: number;
  clientWidth: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

interface Band {
  fromTs: number;
  toTs: number;
  left: number;
  right: number;
  label: string;
}

test('run page: every chart shades the stretches whose samples were lost, labelled "N samples lost"', { timeout: 120_000 }, async () => {
  const stored = await store!.queryGaps(run);
  assert.deepEqual(stored.map((g) => [g.fromTs, g.toTs, g.droppedSamples, g.seq]), [
    [start + 20 * SECOND, start + 34 * SECOND, 15, 21],
    [start + 50 * SECOND, start + 50 * SECOND, 1, 36],
  ]);
  const { page, watch } = await openWatchedPage(browser, `${collector!.url}/runs/${run}`);
  try {
    await page.waitForSelector('body[data-state=ready][data-gaps="2"]', { timeout: 30_000 });
    const bands = await waitFor('bands on every chart', async () => {
      const all = await page.evaluate(() => (globalThis as unknown as { leakwatchGapBands: () => Record<string, Band[]> }).leakwatchGapBands());
      return CHART_NAMES.every((name) => all[name]?.length === 2) ? all : undefined;
    }, 15_000);
    for (const name of CHART_NAMES) {
      const [long, single] = bands[name]!;
      assert.equal(long!.label, '15 samples lost', name);
      assert.equal(single!.label, '1 sample lost', name);
      assert.ok(long!.left < long!.right && long!.right < single!.left, `${name}: bands in time order ${JSON.stringify(bands[name])}`);
      // 15 lost seconds plus half an interval each side, out of the ~60 s shown: a wide band.
      assert.ok(long!.right - long!.left > 4 * (single!.right - single!.left), `${name}: the band's width follows the loss`);
    }

    // What is drawn, not only where: the event-loop chart (flat zero lines) is tinted inside the
    // long band at mid-height and not beside it.
    const tint: { inside: number[]; outside: number[] } = await page.evaluate((band) => {
      const canvas = (globalThis as unknown as { document: { querySelector(s: string): CanvasView } }).document.querySelector('[data-chart=eventLoop] canvas');
      const chart = (globalThis as unknown as { leakwatchCharts: Record<string, { chartArea: { top: number; bottom: number } }> }).leakwatchCharts.eventLoop;
      const ratio = canvas.width / canvas.clientWidth;
      const y = Math.round(((chart.chartArea.top + chart.chartArea.bottom) / 2 + 3) * ratio);
      const at = (x: number) => Array.from(canvas.getContext('2d')!.getImageData(Math.round(x * ratio), y, 1, 1).data);
      return { inside: at((band.left + band.right) / 2), outside: at(band.left - 25) };
    }, bands.eventLoop![0]!);
    const [r, g, , a] = tint.inside;
    assert.ok(a! > 20 && r! > g!, `inside the band: a red tint, got rgba ${tint.inside.join(',')}`);
    assert.ok(tint.outside[3]! < 20 || tint.outside[0] === tint.outside[1], `beside the band: no tint, got rgba ${tint.outside.join(',')}`);
    await page.locator('[data-chart=heap]').screenshot({ path: screenshotPath('gaps') });

    // A loss reported while the page is open: the batch after the hole comes through /live and
    // the page asks for the gaps again, without a reload.
    await probe!.waitForAck(probe!.send({ type: 'batch', samples: [sampleAt(start + 66 * SECOND)], spaces: [], gcs: [], gap: { droppedMessages: 6, droppedSamples: 6, fromTs: start + 60 * SECOND, toTs: start + 65 * SECOND } }));
    await page.waitForSelector('body[data-gaps="3"]', { timeout: 15_000 });
    const live = await waitFor('the new band', async () => {
      const all = await page.evaluate(() => (globalThis as unknown as { leakwatchGapBands: () => Record<string, Band[]> }).leakwatchGapBands());
      return all.heap?.length === 3 ? all.heap : undefined;
    }, 15_000);
    assert.equal(live[2]!.label, '6 samples lost');
    assert.deepEqual(watch.errors, []);
  } catch (err) {
    await page.screenshot({ path: screenshotPath('gaps-failed'), fullPage: true }).catch(() => undefined);
    throw err;
  } finally {
    await page.close();
  }
});
