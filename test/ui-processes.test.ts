import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Request } from 'playwright-core';
import type { ProcessesBody } from '../src/api/http-contract';
import { startCli, type CliProcess } from './helpers/cli';
import { writePoolApp } from './helpers/process-apps';
import { clickTakeSnapshot } from './helpers/snapshot-page';
import { makeTempDir } from './helpers/temp-dir';
import { launchChromium, openWatchedPage, screenshotPath, type ChartView } from './helpers/ui-browser';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * One series per process in the browser (real headless Chromium), against `leakwatch run` on a
 * worker_threads pool (a main thread and three workers, the second of which leaks), each with its
 * own probe: the run page shows a small multiple of the four processes labelled by role and pid,
 * picks the busiest, and its charts and verdict follow the process the user presses; the runs
 * list names the process the run's verdict is about.
 */
const temp = makeTempDir('ui-processes');
const THRESHOLDS = 'maxSlope=1MB/h&minDuration=15s&warmup=5s';
let cli: CliProcess | undefined;
let browser: Browser | undefined;
let base = '';
let runId = '';
let leakingThread = 0;

before(async () => {
  const t0 = Date.now();
  browser = await launchChromium();
  const app = writePoolApp(temp.dir, 150_000);
  cli = startCli(['run', '--port', '0', '--data', path.join(temp.dir, 'data'), '--interval', '250ms', '--duration', '180s', '--name', 'ui-processes', '--', process.execPath, '--expose-gc', app]);
  [, base, runId] = await cli.waitForLine(/leakwatch UI: (http:\/\/[^/\s]+)\/runs\/([\w-]+)/);
  leakingThread = Number((await cli.waitForLine(/leaking thread (\d+)/))[1]);
  // Every process has said hello and sampled for a while: the small charts have a line to draw.
  await waitFor(
    'four processes with samples',
    async () => (await getJson<ProcessesBody>(`${base}/api/runs/${runId}/processes`)).body.processes.filter((p) => p.sampleCount >= 20).length === 4,
    60_000,
    500,
  );
  process.stderr.write(`ui-processes: ready after ${Date.now() - t0} ms\n`);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  if (cli && cli.child.exitCode === null) {
    cli.child.kill('SIGTERM');
    await Promise.race([cli.exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  }
  temp.remove();
});

/** The heap chart's largest "heap used" value, as drawn. */
function heapMax(page: import('playwright-core').Page): Promise<number> {
  return page.evaluate(() => {
    const heap = (globalThis as unknown as { leakwatchCharts?: { heap: ChartView } }).leakwatchCharts?.heap;
    const values = (heap?.data.datasets ?? []).filter((d) => /heap used/i.test(d.label ?? '')).flatMap((d) => d.data.map((p) => p.y));
    return values.length ? Math.max(...values) : 0;
  });
}

test('the run page: a small multiple of every process, the busiest first chosen, the charts and verdict follow a pick', { timeout: 120_000 }, async () => {
  const requests: string[] = [];
  const { page, watch } = await openWatchedPage(browser, `${base}/runs/${runId}?${THRESHOLDS}`, (p) => p.on('request', (r: Request) => requests.push(r.url())));
  try {
    await page.locator('body[data-state=ready]').waitFor({ timeout: 30_000 });
    const cells = page.locator('.process-cell');
    await waitFor('four process cells', async () => (await cells.count()) === 4, 20_000);
    const shown = await cells.evaluateAll((nodes) =>
      nodes.map((n) => ({
        boot: n.getAttribute('data-boot') ?? '',
        role: n.getAttribute('data-role') ?? '',
        pressed: n.getAttribute('aria-pressed'),
        label: n.querySelector('.process-label')?.textContent ?? '',
        samples: Number((n.querySelector('.hint')?.textContent ?? '').replace(/,/g, '').match(/^(\d+) samples/)?.[1] ?? -1),
        points: Number(n.querySelector('svg.process-heap')?.getAttribute('data-points') ?? 0),
      })),
    );
    assert.deepEqual(shown.map((s) => s.role).sort(), ['process', 'thread', 'thread', 'thread']);
    for (const s of shown) {
      assert.match(s.label, /^(process|thread \d+) \(pid \d+, node pool\.js\)$/, s.label);
      assert.ok(s.points > 1, `${s.label}: its small heap chart has a line (${s.points} points)`);
    }
    // The busiest (most samples) is chosen, and the charts asked for its series only.
    const chosen = shown.filter((s) => s.pressed === 'true');
    assert.equal(chosen.length, 1);
    assert.equal(chosen[0].samples, Math.max(...shown.map((s) => s.samples)), JSON.stringify(shown));
    assert.equal(await page.locator('body').getAttribute('data-process'), chosen[0].boot);
    assert.ok(requests.some((u) => u.includes('/series?') && u.includes(`boot=${chosen[0].boot}`) && u.includes('metrics=heapUsed%2C')), 'the charts read the chosen process');

    // Press the leaking thread: the cell, the URL, the charts and the verdict follow it.
    const leaking = shown.find((s) => s.label.startsWith(`thread ${leakingThread} `));
    const quiet = shown.find((s) => s.role === 'thread' && s !== leaking);
    assert.ok(leaking && quiet, JSON.stringify(shown));
    for (const target of [quiet, leaking]) {
      const before = requests.length;
      await page.locator(`.process-cell[data-boot="${target.boot}"]`).click();
      await page.locator(`.process-cell[data-boot="${target.boot}"][aria-pressed=true]`).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('.process-cell[aria-pressed=true]').count(), 1);
      assert.match(page.url(), new RegExp(`[?&]boot=${target.boot}`));
      await waitFor('the chosen process\'s series and verdict', () => {
        const since = requests.slice(before);
        return since.some((u) => u.includes('/series?') && u.includes(`boot=${target.boot}`)) && since.some((u) => u.includes('/verdict?') && u.includes(`boot=${target.boot}`));
      }, 15_000);
      await page.locator(`body[data-charts-process="${target.boot}"]`).waitFor({ timeout: 15_000 });
    }
    // The charts were redrawn from that process's rows: each thread's heap is its own line.
    const drawn: number[] = [];
    for (const target of [leaking, quiet]) {
      await page.locator(`.process-cell[data-boot="${target.boot}"]`).click();
      await page.locator(`body[data-charts-process="${target.boot}"]`).waitFor({ timeout: 15_000 });
      drawn.push(await heapMax(page));
    }
    assert.ok(drawn[0] > 0 && drawn[1] > 0 && drawn[0] !== drawn[1], `two threads, two heaps: ${drawn.join(' vs ')}`);

    // Reloaded with ?boot=, the page starts on that process.
    await page.goto(`${base}/runs/${runId}?${THRESHOLDS}&boot=${leaking.boot}`);
    await page.locator(`.process-cell[data-boot="${leaking.boot}"][aria-pressed=true]`).waitFor({ timeout: 20_000 });
    assert.deepEqual(watch.errors, []);
  } catch (err) {
    await page.screenshot({ path: screenshotPath('processes'), fullPage: true }).catch(() => undefined);
    throw err;
  } finally {
    await page.close();
  }
});

test('the snapshot panel follows the chosen process: its button asks that probe, its list shows that process only', { timeout: 150_000 }, async () => {
  const posts: string[] = [];
  const { body } = await getJson<ProcessesBody>(`${base}/api/runs/${runId}/processes`);
  const leaking = body.processes.find((p) => p.role === 'thread' && p.roleIndex === leakingThread);
  const other = body.processes.find((p) => p.role === 'thread' && p.roleIndex !== leakingThread);
  assert.ok(leaking && other, JSON.stringify(body.processes));
  const { page, watch } = await openWatchedPage(browser, `${base}/runs/${runId}?${THRESHOLDS}&boot=${leaking.boot}`, (p) =>
    p.on('request', (r: Request) => {
      if (r.method() === 'POST' && r.url().includes('/snapshots')) posts.push(r.url());
    }),
  );
  try {
    await page.locator(`.process-cell[data-boot="${leaking.boot}"][aria-pressed=true]`).waitFor({ timeout: 30_000 });
    await clickTakeSnapshot(page);
    await waitFor('the POST naming the chosen process', async () => posts.length > 0, 15_000);
    assert.match(posts[0], new RegExp(`/snapshots\\?boot=${leaking.boot}$`));
    const row = page.locator('tr[data-snapshot-id]');
    await row.first().waitFor({ timeout: 60_000 });
    const id = (await row.first().getAttribute('data-snapshot-id')) ?? '';
    const listed = await getJson<{ snapshots: { id: string; boot: string }[] }>(`${base}/api/runs/${runId}/snapshots`);
    assert.equal(listed.body.snapshots.find((s) => s.id === id)?.boot, leaking.boot, "the chosen thread's probe took it");
    // Another process: its own snapshots only (none), so node ids of one isolate are never diffed with another's.
    await page.locator(`.process-cell[data-boot="${other.boot}"]`).click();
    await page.locator(`.process-cell[data-boot="${other.boot}"][aria-pressed=true]`).waitFor({ timeout: 10_000 });
    await waitFor('the other process shows none of the first one\'s snapshots', async () => (await page.locator(`tr[data-snapshot-id="${id}"]`).count()) === 0, 10_000);
    await page.locator(`.process-cell[data-boot="${leaking.boot}"]`).click();
    await page.locator(`tr[data-snapshot-id="${id}"]`).waitFor({ timeout: 10_000 });
    assert.deepEqual(watch.errors, []);
  } catch (err) {
    await page.screenshot({ path: screenshotPath('processes-snapshots'), fullPage: true }).catch(() => undefined);
    throw err;
  } finally {
    await page.close();
  }
});

test('the runs list names the process the run\'s verdict is about', { timeout: 60_000 }, async () => {
  const { page, watch } = await openWatchedPage(browser, `${base}/?${THRESHOLDS}`);
  try {
    const named = page.locator(`tr:has(a[href*="${runId}"]) .verdict-process`);
    await named.waitFor({ timeout: 30_000 });
    const text = (await named.textContent()) ?? '';
    assert.match(text, /^(leak in|inconclusive for|no leak in any of the 4 processes; the least sure is) (process|thread \d+) \(pid \d+, node pool\.js\)$/, text);
    const { body } = await getJson<ProcessesBody>(`${base}/api/runs/${runId}/processes?${THRESHOLDS}`);
    const boot = await named.getAttribute('data-boot');
    assert.ok(body.processes.some((p) => p.boot === boot), 'it names one of the run\'s processes');
    assert.deepEqual(watch.errors, []);
  } catch (err) {
    await page.screenshot({ path: screenshotPath('processes-runs'), fullPage: true }).catch(() => undefined);
    throw err;
  } finally {
    await page.close();
  }
});
