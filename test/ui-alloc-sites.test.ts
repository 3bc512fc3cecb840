import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { SourceMapGenerator } from 'source-map';
import { startCollector, type Collector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { connectRawProbe, type RawProbe } from './helpers/raw-probe';
import { makeTempDir } from './helpers/temp-dir';
import { launchChromium, openWatchedPage, screenshotPath } from './helpers/ui-browser';
import { waitFor } from './helpers/wait-for';

/*
 * The run page's allocation sites panel in real headless Chromium, served by the real collector
 * over the embedded ClickHouse. A probe socket sends allocation profiles (the messages the probe's
 * sampler sends) for a script that ships a source map beside it, so the collector, which runs on
 * the same machine, maps the sites to the original TypeScript lines.
 */
const tmp = makeTempDir('ui-alloc-sites');
const MINUTE = 60_000;
const start = Date.now() - 30 * MINUTE;
const run = 'ui-alloc';
let store: Store | undefined;
let collector: Collector | undefined;
let browser: Browser | undefined;
let probe: RawProbe | undefined;
let script = '';

/** app.js with a map: its line 3 is `remember` of src/app.ts line 10, line 12 `warm` at line 30. */
function writeMappedScript(dir: string): string {
  const file = path.join(dir, 'app.js');
  const map = new SourceMapGenerator({ file: 'app.js' });
  map.addMapping({ generated: { line: 3, column: 0 }, original: { line: 10, column: 0 }, source: 'src/app.ts', name: 'remember' });
  map.addMapping({ generated: { line: 8, column: 0 }, original: { line: 20, column: 0 }, source: 'src/app.ts', name: 'handle' });
  map.addMapping({ generated: { line: 12, column: 0 }, original: { line: 30, column: 0 }, source: 'src/app.ts', name: 'warm' });
  const lines = Array.from({ length: 14 }, (_, i) => `// generated line ${i + 1}`);
  fs.writeFileSync(file, `${lines.join('\n')}\n//# sourceMappingURL=app.js.map\n`);
  fs.writeFileSync(`${file}.map`, map.toString());
  return file;
}

/** One profile as the probe sends it: the growing site gains 1 MB a minute, the other holds. */
function profile(i: number): Record<string, unknown> {
  return {
    type: 'alloc-profile',
    at: start + i * MINUTE,
    startedAt: start,
    intervalBytes: 512 * 1024,
    stackDepth: 64,
    frames: [
      { fn: 'remember', url: script, line: 3, col: 1 },
      { fn: 'handle', url: script, line: 8, col: 1 },
      { fn: 'warm', url: script, line: 12, col: 1 },
    ],
    sites: [
      { stack: [0, 1], liveBytes: (i + 1) * 1024 * 1024, samples: (i + 1) * 2 },
      { stack: [2], liveBytes: 512 * 1024, samples: 1 },
    ],
    other: { sites: 0, liveBytes: 0, samples: 0 },
  };
}

before(async () => {
  script = writeMappedScript(tmp.dir);
  browser = await launchChromium();
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(tmp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: createLogger('warn'), snapshotDir: path.join(tmp.dir, 'snapshots') });
  probe = await connectRawProbe(`${collector.url.replace('http', 'ws')}/ingest`, run);
  let last = 0;
  for (let i = 0; i < 12; i++) last = probe.send(profile(i));
  await probe.waitForAck(last);
});

after(async () => {
  await probe?.close();
  await browser?.close().catch(() => undefined);
  await collector?.close();
  await store?.close();
  tmp.remove();
});

test('run page: the growing allocation site first, at its source-mapped line, with its stack, following new profiles live', { timeout: 120_000 }, async () => {
  const { page, watch } = await openWatchedPage(browser, `${collector!.url}/runs/${run}`);
  try {
    await page.waitForSelector('[data-section=alloc-sites][data-state=ready]', { timeout: 30_000 });
    const sites = page.locator('[data-section=alloc-sites] li.site');
    assert.equal(await sites.count(), 2);
    const first = sites.nth(0);
    assert.equal(await first.getAttribute('data-growing'), 'true');
    assert.equal(await first.getAttribute('data-mapped'), 'true');
    // Outside the collector's working directory, so the original file reads as an absolute path.
    assert.equal(await first.getAttribute('data-location'), `${path.join(tmp.dir, 'src', 'app.ts')}:10 remember()`);
    assert.match((await first.textContent()) ?? '', /line where the allocating function starts/);
    assert.match((await first.locator('.site-stack').textContent()) ?? '', /src\/app\.ts:20 handle\(\)/);
    assert.equal(await first.locator('svg.suspect-sparkline').getAttribute('data-points'), '12');
    const second = sites.nth(1);
    assert.equal(await second.getAttribute('data-growing'), 'false');
    assert.equal(await second.getAttribute('data-location'), `${path.join(tmp.dir, 'src', 'app.ts')}:30 warm()`);
    assert.equal(await page.getAttribute('[data-section=alloc-sites]', 'data-growing'), '1');

    // A profile stored while the page is open reaches it through /live, without a reload.
    await probe!.waitForAck(probe!.send(profile(12)));
    await waitFor('the thirteenth point on the growing site', async () => (await first.locator('svg.suspect-sparkline').getAttribute('data-points')) === '13', 30_000);
    assert.deepEqual(watch.errors, []);
  } catch (err) {
    await page.screenshot({ path: screenshotPath('alloc-sites'), fullPage: true }).catch(() => undefined);
    throw err;
  } finally {
    await page.close();
  }
});
