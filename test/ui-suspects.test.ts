import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { SuspectsBody } from '../src/api/http-contract';
import { startCollector, type Collector } from '../src/collector/collector';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { collectorSnapshots, snapshotCollectorOptions } from './helpers/collector-snapshots';
import { connectRawProbe } from './helpers/raw-probe';
import { makeHello } from './helpers/store-fixtures';
import { leakingRows, uploadInTurn, writeSuspectSnapshots } from './helpers/suspect-snapshots';
import { makeTempDir } from './helpers/temp-dir';
import { launchChromium, openWatchedPage, screenshotPath } from './helpers/ui-browser';
import { getJson } from './helpers/wait-for';

/*
 * The run page's growth suspects in real headless Chromium, served by the real collector (the
 * embedded ClickHouse, the real analysis and suspects step in its worker). Real V8 snapshots of
 * one growing child process (fixtures/suspects-child.ts) are uploaded while the page is open, so
 * the panel must follow the `snapshot` pushes from /live; the run's heap floor rises in the
 * store (as in cli-check-suspects.test.ts), so its verdict is a leak that names the culprit.
 */
const tmp = makeTempDir('ui-suspects');
const dataDir = path.join(tmp.dir, 'data');
const MINUTE = 60_000;
const start = Date.now() - 40 * MINUTE;
const CONTAINER_PATH = 'suspects-child.ts (module) › responseCache (Map)';
const TOP_PATH = `${CONTAINER_PATH} › [*] › CachedResponse`;

let store: Store | undefined;
let collector: Collector | undefined;
let browser: Browser | undefined;
let leaky: string[] = [];
let healthy: string[] = [];

/** Five minutes apart inside the rising stretch. */
const takenAt = [5, 10, 15, 20].map((m) => start + m * MINUTE);

before(async () => {
  browser = await launchChromium();
  leaky = await writeSuspectSnapshots(tmp.dir, 'leaky');
  healthy = await writeSuspectSnapshots(tmp.dir, 'healthy');
  store = await openStore({ target: { kind: 'embedded', dataDir }, retentionDays: 30 });
  collector = await startCollector(snapshotCollectorOptions(store, path.join(dataDir, 'snapshots')));
  await store.upsertRun(makeHello('leaky', { startedAt: start }));
  await store.insertRows({ ...leakingRows('leaky', start), spaces: [] });
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await collector?.close();
  await store?.close();
  tmp.remove();
});

async function panel(page: Page): Promise<{ state: string; snapshot: string; text: string }> {
  const section = page.locator('[data-section=suspects]');
  return { state: (await section.getAttribute('data-state')) ?? '', snapshot: (await section.getAttribute('data-snapshot')) ?? '', text: (await section.textContent()) ?? '' };
}

test('the suspects panel follows the snapshots as they become ready and lists the leaking Map first, with its paths and a sparkline', { timeout: 240_000 }, async () => {
  const fx = collectorSnapshots(() => collector!, path.join(dataDir, 'snapshots'));
  const probe = await connectRawProbe(fx.ingestUrl(), 'leaky');
  const { page, watch } = await openWatchedPage(browser, `${collector!.url}/runs/leaky`);
  try {
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    await page.waitForSelector('[data-section=suspects][data-state=empty]', { timeout: 30_000 });
    assert.match((await panel(page)).text, /No growth suspects yet: they are ranked once 3 snapshots of one process are ready/);
    // A reload would drop this marker: every change below must come from the page's own pushes.
    await page.evaluate(() => ((globalThis as unknown as { suspectsMarker: string }).suspectsMarker = 'same page'));

    await uploadInTurn(collector!.url, fx, probe, leaky.slice(0, 2), takenAt.slice(0, 2), 's');
    await page.waitForSelector('[data-section=suspects][data-state=empty][data-snapshot=s2]', { timeout: 30_000 });
    assert.match((await panel(page)).text, /2 of the 3 snapshots of this process they need are ready/);

    await uploadInTurn(collector!.url, fx, probe, leaky.slice(2), takenAt.slice(2), 't');
    await page.waitForSelector('[data-section=suspects][data-state=ready][data-snapshot=t2]', { timeout: 60_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { suspectsMarker?: string }).suspectsMarker), 'same page');

    // The page's ranking is the API's, item for item.
    const { body } = await getJson<SuspectsBody>(`${collector!.url}/api/runs/leaky/suspects`);
    const api = body.boots[0].suspects;
    const items = await page.locator('li.suspect').evaluateAll((nodes) =>
      (nodes as unknown as { dataset: Record<string, string>; querySelectorAll(s: string): ArrayLike<{ textContent: string | null; dataset: Record<string, string> }> }[]).map((li) => ({
        rank: li.dataset.rank,
        kind: li.dataset.kind,
        label: li.dataset.label,
        id: Number(li.dataset.id),
        stats: Object.fromEntries(Array.from(li.querySelectorAll('[data-stat]'), (s) => [s.dataset.stat, s.textContent ?? ''])),
        paths: Array.from(li.querySelectorAll('[data-path]'), (p) => ({ role: p.dataset.path, text: p.textContent ?? '', count: p.dataset.count })),
        sparkPoints: Number(Array.from(li.querySelectorAll('svg.suspect-sparkline'), (s) => (s as unknown as { getAttribute(n: string): string }).getAttribute('data-points'))[0]),
        sparkValues: Array.from(li.querySelectorAll('svg.suspect-sparkline circle'), (c) => Number((c as unknown as { getAttribute(n: string): string }).getAttribute('data-value'))),
      })),
    );
    assert.deepEqual(items.map((i) => i.id), api.map((s) => s.id));
    assert.deepEqual(items.map((i) => i.rank), api.map((_, i) => String(i + 1)));
    assert.deepEqual(items.map((i) => i.kind).sort(), ['array', 'listeners', 'map']);

    const [top] = items;
    assert.equal(top.kind, 'map');
    assert.equal(top.label, 'responseCache (Map)');
    assert.equal(top.sparkPoints, 4, 'one point per snapshot of the window');
    assert.deepEqual(top.sparkValues, [400, 800, 1200, 1600]);
    // 1,200 entries in the 15 minutes from the first snapshot to the last.
    assert.match(top.stats.entries, /^\+1,200 entries \(\+4,800\/h\)$/);
    assert.match(top.stats.rate, /^\+[\d.]+ (KB|MB)\/h$/);
    assert.match(top.stats['leak-share'], /^LeakShare [\d.]+ (KB|MB)$/);
    assert.match(top.stats['floor-share'] ?? '', /^(< 1|\d+) % of the floor's growth$/, 'the floor rose in the store: its share is known');
    assert.deepEqual(top.paths[0], { role: 'container', text: `${CONTAINER_PATH} the container`, count: undefined });
    const member = top.paths.find((p) => p.role === 'member');
    assert.ok(member, 'a path group of its new members');
    assert.equal(member.text.replace(/ \d[\d,]* objects?$/, ''), TOP_PATH);
    assert.equal(member.text, `${TOP_PATH} ${Number(member.count).toLocaleString('en-US')} ${member.count === '1' ? 'object' : 'objects'}`);
    assert.equal(Number(member.count), api[0].paths.members[0].count);

    // Under the list, the types whose new objects survive, as the API has them: the leaked class first.
    const surviving = page.locator('[data-section=suspects] .suspects-boot .surviving-types');
    const survivingText = (await surviving.textContent()) ?? '';
    assert.match(survivingText, /^Surviving new objects: CachedResponse \+800 \([\d.]+ KB; \+400, \+400 per snapshot\), /);
    const shown = await surviving.locator('.surviving-type').evaluateAll((nodes) => (nodes as unknown as { dataset: Record<string, string> }[]).map((n) => n.dataset.type));
    assert.deepEqual(shown, body.boots[0].survivingTypes.slice(0, 5).map((t) => t.type));

    // The verdict line names the culprit under the leak: what grows, how fast, who holds it.
    const culprit = page.locator('.verdict-line[data-verdict=leak] .verdict-suspects li[data-rank="1"]');
    await culprit.waitFor({ timeout: 30_000 });
    const line = (await culprit.textContent()) ?? '';
    assert.match(line, /^suspect 1: responseCache \(Map\) \+1,200 entries \(\+4,800\/h\), \+[\d.]+ (KB|MB)\/h, LeakShare [\d.]+ (KB|MB), (< 1|\d+) % of the floor's growth — /);
    assert.ok(line.endsWith(` — ${TOP_PATH}`), line);
    assert.deepEqual(watch.errors, []);
    await page.screenshot({ path: screenshotPath('suspects'), fullPage: true });
  } catch (err) {
    await page.screenshot({ path: screenshotPath('suspects'), fullPage: true }).catch(() => undefined);
    throw err;
  } finally {
    await page.close();
    await probe.close();
  }
});

test('a run whose process grows nothing shows the empty state and why', { timeout: 180_000 }, async () => {
  const fx = collectorSnapshots(() => collector!, path.join(dataDir, 'snapshots'));
  const probe = await connectRawProbe(fx.ingestUrl(), 'healthy');
  try {
    await uploadInTurn(collector!.url, fx, probe, healthy, takenAt);
    const { page, watch } = await openWatchedPage(browser, `${collector!.url}/runs/healthy`);
    try {
      await page.waitForSelector('[data-section=suspects][data-state=empty][data-snapshot=s4]', { timeout: 30_000 });
      const { text } = await panel(page);
      assert.match(text, /No growth suspects: nothing keeps growing across the 4 snapshots of this process\./);
      assert.equal(await page.locator('li.suspect').count(), 0);
      assert.equal(await page.locator('[data-section=suspects]').getAttribute('data-count'), '0');
      assert.equal(await page.locator('.surviving-types').count(), 0);
      assert.deepEqual(watch.errors, []);
    } finally {
      await page.close();
    }
  } finally {
    await probe.close();
  }
});
