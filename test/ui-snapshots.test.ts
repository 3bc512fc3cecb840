import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { SnapshotRecord, SnapshotTypeRow, TypeDiffRow } from '../src/shared/snapshot-data';
import type { CliProcess } from './helpers/cli';
import { startSampleRun, stopSampleRun } from './helpers/sample-run';
import { assertOrdered, markerPositions, openSnapshotPage, snapshotsOf as snapshotsAt, tableRows, tableState, takeSnapshot, waitForRowStatus, type MarkerPosition } from './helpers/snapshot-page';
import { recordRowStates, seenRowStates } from './helpers/snapshot-rows';
import { makeTempDir } from './helpers/temp-dir';
import { launchChromium, screenshotPath } from './helpers/ui-browser';
import { getJson } from './helpers/wait-for';

/**
 * The run page's heap snapshot section in real headless Chromium, against the real CLI: the
 * embedded collector (chDB), the real probe in the leaky sample server, real V8 snapshots taken
 * through the page's button, uploaded, analysed and diffed by the collector. The type table and
 * diff tests read the two snapshots the first test takes. A refusing probe's snapshots:
 * ui-snapshots-refused.test.ts.
 */

const temp = makeTempDir('ui-snapshots');
let cli: CliProcess | undefined;
let browser: Browser | undefined;
let base = '';
let runId = '';
/** The two snapshots taken through the button, oldest first. */
let first: SnapshotRecord | undefined;
let second: SnapshotRecord | undefined;

const openPage = (url: string) => openSnapshotPage(browser, url);
const snapshotsOf = (id: string) => snapshotsAt(base, id);

before(async () => {
  browser = await launchChromium();
  ({ cli, base, runId } = await startSampleRun(['--port', '0', '--data', path.join(temp.dir, 'data'), '--interval', '250ms', '--name', 'ui-snapshots'], 'leaky-cache-server.js'));
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await stopSampleRun(cli);
  temp.remove();
});

test('take snapshot: two through the button, live progress in the list, markers on the heap chart, download links', { timeout: 240_000 }, async () => {
  const { page, watch, frames } = await openPage(`${base}/runs/${runId}`);
  try {
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    await page.waitForSelector('[data-section=snapshots][data-loaded=true][data-count="0"]');
    assert.match((await page.locator('[data-part=types]').textContent()) ?? '', /Pick a snapshot/);
    await recordRowStates(page);

    // First snapshot; a second press while it is still in flight is answered "already running".
    const answers = await page.evaluate(async () => {
      interface Node { click(): void; dataset: Record<string, string | undefined>; hidden: boolean; textContent: string | null }
      const doc = (globalThis as unknown as { document: { querySelector(s: string): Node } }).document;
      const button = doc.querySelector('button[data-action=take-snapshot]');
      const answer = doc.querySelector('.take-answer');
      const next = async () => {
        // Each press first hides the answer, then shows the new one.
        while (answer.hidden || !answer.dataset.answer) await new Promise((resolve) => setTimeout(resolve, 5));
        const seen = { answer: answer.dataset.answer ?? '', status: answer.dataset.status ?? '', text: answer.textContent ?? '' };
        return seen;
      };
      button.click();
      const firstAnswer = await next();
      // Pressed as soon as the first answer is drawn: the upload and analysis of a real heap
      // take far longer than this round trip.
      button.click();
      while (!answer.hidden) await new Promise((resolve) => setTimeout(resolve, 1));
      return [firstAnswer, await next()];
    });
    assert.equal(answers[0].answer, 'capturing', `first press: ${JSON.stringify(answers[0])}`);
    assert.equal(answers[1].answer, 'running', `second press while in flight: ${JSON.stringify(answers[1])}`);
    assert.match(answers[1].text, /already running/);

    let list = await snapshotsOf(runId);
    assert.equal(list.length, 1, 'the second press did not queue a second snapshot');
    const firstId = list[0].id;
    await waitForRowStatus(page, firstId, 'ready');
    await page.waitForSelector('.take-answer[data-status=ready]');

    // Let the leak grow, then the second snapshot.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const secondAnswer = await takeSnapshot(page);
    assert.equal(secondAnswer.answer, 'capturing', secondAnswer.text);
    list = await snapshotsOf(runId);
    assert.equal(list.length, 2);
    const secondId = list[1].id;
    await waitForRowStatus(page, secondId, 'ready');

    list = await snapshotsOf(runId);
    [first, second] = list;
    assert.deepEqual(list.map((s) => s.status), ['ready', 'ready']);
    assert.ok(first.takenAt < second.takenAt);

    // The list showed each snapshot in flight, then ready; the changes came as /live pushes.
    const seen = await seenRowStates(page);
    for (const id of [firstId, secondId]) {
      const states = seen[id] ?? [];
      assert.equal(states[states.length - 1], 'ready', `${id} ends ready: ${states.join(' | ')}`);
      assert.ok(states.some((s) => /^(capturing|uploading|analysing)/.test(s)), `${id} showed an in-flight state first: ${states.join(' | ')}`);
      const pushed = frames.filter((f) => f.id === id).map((f) => f.status);
      assert.ok(pushed.includes('ready'), `${id}: "ready" arrived on /live (${pushed.join(', ')})`);
    }

    // Rows: both ready with sizes, the newest is shown (auto-selected) in the types table.
    for (const snapshot of list) {
      const row = page.locator(`tr[data-snapshot-id="${snapshot.id}"]`);
      const text = (await row.textContent()) ?? '';
      assert.match(text, /manual/);
      assert.match(text, /\d+(\.\d+)? (KB|MB|GB)/, 'file and reachable sizes are shown');
      assert.equal(((await row.locator('td[data-col=nodeCount]').textContent()) ?? '').replace(/\D/g, ''), String(snapshot.nodeCount));
    }
    assert.equal(await page.locator('[data-section=snapshots]').getAttribute('data-selected'), second.id);

    // Download links return the raw V8 file, as stored.
    for (const snapshot of list) {
      const href = await page.locator(`tr[data-snapshot-id="${snapshot.id}"] a[data-action=download]`).getAttribute('href');
      assert.ok(href, 'ready rows have a download link');
      const res = await fetch(`${base}${href}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-disposition') ?? '', /attachment/);
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(body.subarray(0, 12).toString(), '{"snapshot":', 'the file is a V8 heap snapshot');
      assert.equal(body.length, snapshot.fileSize, 'the whole file, as the probe reported its size');
    }

    // Markers on the heap chart, at each snapshot's takenAt on its time axis.
    const drawn = await page.evaluate(() => {
      const g = globalThis as unknown as {
        leakwatchSnapshotMarkers: () => MarkerPosition[];
        leakwatchCharts: { heap: { chartArea: { left: number; right: number }; scales: { x: { min: number; max: number } } } };
      };
      const heap = g.leakwatchCharts.heap;
      return { markers: g.leakwatchSnapshotMarkers(), area: heap.chartArea, xMin: heap.scales.x.min, xMax: heap.scales.x.max };
    });
    assert.deepEqual(drawn.markers.map((m) => [m.id, m.takenAt, m.status]), list.map((s) => [s.id, s.takenAt, 'ready']));
    for (const marker of drawn.markers) {
      const expected = drawn.area.left + ((marker.takenAt - drawn.xMin) / (drawn.xMax - drawn.xMin)) * (drawn.area.right - drawn.area.left);
      assert.ok(Math.abs(marker.x - expected) < 1, `marker ${marker.id} at x=${marker.x}, expected ${expected}`);
    }
    await page.locator('[data-section=snapshots]').screenshot({ path: screenshotPath('snapshots') });
    // The browser logs a 429 itself when the second press came inside the request gap and was pressed again.
    assert.deepEqual(watch.errors.filter((e) => !/status of 429/.test(e)), [], 'no script or console errors');
  } finally {
    await page.close();
  }
});

test('type table: the selected snapshot\'s types, sorted by a header click, narrowed by the filter', { timeout: 90_000 }, async () => {
  assert.ok(first && second, 'the first test took two snapshots');
  const { page, watch } = await openPage(`${base}/runs/${runId}`);
  try {
    await page.waitForSelector(`[data-part=types][data-state=ready][data-snapshot-id="${second.id}"]`, { timeout: 30_000 });
    const { body } = await getJson<{ snapshot: SnapshotRecord; types: SnapshotTypeRow[] }>(`${base}/api/runs/${runId}/snapshots/${second.id}`);
    const api = body.types;
    assert.ok(api.length > 10, `a real heap has many types (${api.length})`);

    // Default: largest retained size first, the first 200 rows (or all when fewer).
    let state = await tableState(page, 'types');
    assert.deepEqual([state.sortKey, state.sortDir, Number(state.total)], ['retainedSize', 'desc', api.length]);
    assert.equal(Number(state.shown), Math.min(200, api.length));
    let rows = await tableRows(page, 'types');
    assertOrdered(rows, 'retainedSize', 'desc');
    const byType = new Map(api.map((t) => [t.type, t]));
    for (const row of rows.slice(0, 20)) {
      const t = byType.get(row.type);
      assert.ok(t, `${row.type} is in the API's types`);
      assert.deepEqual([row.values.count, row.values.selfSize, row.values.retainedSize], [t.count, t.selfSize, t.retainedSize], row.type);
    }

    // Clicking "count" sorts by count, largest first; clicking again reverses.
    await page.click('[data-table=types] th[data-col=count] button');
    state = await tableState(page, 'types');
    assert.deepEqual([state.sortKey, state.sortDir], ['count', 'desc']);
    rows = await tableRows(page, 'types');
    assertOrdered(rows, 'count', 'desc');
    assert.equal(rows[0].values.count, Math.max(...api.map((t) => t.count)), 'the most numerous type comes first');
    assert.equal(await page.locator('[data-table=types] th[data-col=count]').getAttribute('aria-sort'), 'descending');
    await page.click('[data-table=types] th[data-col=count] button');
    rows = await tableRows(page, 'types');
    assertOrdered(rows, 'count', 'asc');
    assert.equal(rows[0].values.count, Math.min(...api.map((t) => t.count)));

    // The filter keeps the types whose name contains the text.
    await page.fill('[data-table=types] .table-filter', 'cachedresponse');
    state = await tableState(page, 'types');
    const expected = api.filter((t) => t.type.toLowerCase().includes('cachedresponse'));
    assert.ok(expected.length >= 1, 'the leaky sample has CachedResponse objects');
    assert.equal(Number(state.matching), expected.length);
    rows = await tableRows(page, 'types');
    assert.deepEqual(rows.map((r) => r.type).sort(), expected.map((t) => t.type).sort());
    await page.fill('[data-table=types] .table-filter', '');
    assert.equal(Number((await tableState(page, 'types')).matching), api.length);

    // Big tables: the first 200 rows, then all on request.
    if (api.length > 200) {
      await page.click('[data-table=types] button[data-action=show-all]');
      assert.equal(Number((await tableState(page, 'types')).shown), api.length);
    }

    // Picking the other snapshot in the list shows its types.
    await page.click(`tr[data-snapshot-id="${first.id}"] td:nth-child(2)`);
    await page.waitForSelector(`[data-part=types][data-state=ready][data-snapshot-id="${first.id}"]`);
    assert.equal(await page.locator(`tr[data-snapshot-id="${first.id}"]`).getAttribute('data-selected'), 'true');
    assert.deepEqual(watch.errors, []);
  } finally {
    await page.close();
  }
});

test('diff: marker click then shift-click compares two snapshots, rows match the API, largest retained growth first', { timeout: 90_000 }, async () => {
  assert.ok(first && second, 'the first test took two snapshots');
  // A fixed range, so the axis (and the markers' pixels) hold still while the test clicks.
  const { page, watch } = await openPage(`${base}/runs/${runId}?from=${first.takenAt - 5000}&to=${second.takenAt + 5000}`);
  try {
    await page.waitForSelector('body[data-state=ready][data-range=fixed]', { timeout: 30_000 });
    await page.waitForSelector('[data-section=snapshots][data-loaded=true]');
    const markers = await markerPositions(page);
    assert.deepEqual(markers.map((m) => m.id), [first.id, second.id]);
    const box = await page.locator('[data-chart=heap] canvas').boundingBox();
    assert.ok(box, 'heap canvas on screen');
    const click = async (marker: MarkerPosition, shift: boolean) => {
      if (shift) await page.keyboard.down('Shift');
      await page.mouse.click(box.x + marker.x, box.y + (marker.top + marker.bottom) / 2);
      if (shift) await page.keyboard.up('Shift');
    };

    await click(markers[0], false);
    await page.waitForSelector(`[data-section=snapshots][data-selected="${first.id}"]`);
    await click(markers[1], true);
    await page.waitForSelector(`[data-section=snapshots][data-a="${first.id}"][data-b="${second.id}"]`);
    await page.waitForSelector('[data-part=diff][data-state=ready]', { timeout: 30_000 });

    const { status, body } = await getJson<{ a: SnapshotRecord; b: SnapshotRecord; rows: TypeDiffRow[] }>(`${base}/api/runs/${runId}/diff?a=${first.id}&b=${second.id}`);
    assert.equal(status, 200);
    const state = await tableState(page, 'diff');
    assert.deepEqual([state.sortKey, state.sortDir, Number(state.total)], ['retainedSizeDelta', 'desc', body.rows.length]);
    let rows = await tableRows(page, 'diff');
    assertOrdered(rows, 'retainedSizeDelta', 'desc');
    assert.equal(rows[0].values.retainedSizeDelta, body.rows[0].retainedSizeDelta, 'the largest growth leads, as in the API');
    const byType = new Map(body.rows.map((r) => [r.type, r]));
    for (const row of rows.slice(0, 20)) {
      const r = byType.get(row.type);
      assert.ok(r, `${row.type} is in the API's diff`);
      assert.deepEqual(
        [row.values.countB, row.values.countDelta, row.values.selfSizeDelta, row.values.retainedSizeDelta],
        [r.countB, r.countDelta, r.selfSizeDelta, r.retainedSizeDelta],
        row.type,
      );
    }

    // The leak: more CachedResponse objects in B than in A.
    await page.fill('[data-table=diff] .table-filter', 'CachedResponse');
    rows = await tableRows(page, 'diff');
    const cached = rows.find((r) => r.type === 'CachedResponse');
    assert.ok(cached, `CachedResponse in the filtered diff (${rows.map((r) => r.type).join(', ')})`);
    assert.ok(cached.values.countDelta > 0, `CachedResponse grew by ${cached.values.countDelta}`);
    assert.equal(cached.values.countDelta, byType.get('CachedResponse')?.countDelta);
    assert.ok(rows.every((r) => r.type.toLowerCase().includes('cachedresponse')));
    // DevTools' Comparison columns: the CachedResponse objects new in B, matched by object id as the API has them.
    const cachedApi = byType.get('CachedResponse')!;
    assert.ok((cachedApi.newCount ?? 0) >= cached.values.countDelta, `${cachedApi.newCount} new CachedResponse objects cover the growth`);
    assert.deepEqual([cached.values.newCount, cached.values.deletedCount, cached.values.newSize], [cachedApi.newCount, cachedApi.deletedCount, cachedApi.newSize]);
    assert.match(await page.locator('[data-table=diff] tr[data-type=CachedResponse] td[data-col=newCount]').innerText(), /^[\d,.\s]+$/);
    // Sortable like the others; back to retained growth for what follows.
    await page.fill('[data-table=diff] .table-filter', '');
    await page.click('[data-table=diff] th[data-col=newCount] button');
    rows = await tableRows(page, 'diff');
    assertOrdered(rows, 'newCount', 'desc');
    assert.equal(rows[0].values.newCount, Math.max(...body.rows.map((r) => r.newCount ?? -1)));
    await page.click('[data-table=diff] th[data-col=retainedSizeDelta] button');
    assert.equal((await tableState(page, 'diff')).sortKey, 'retainedSizeDelta');

    // The A/B buttons in the list: B as A and A as B reverses every delta.
    await page.fill('[data-table=diff] .table-filter', '');
    await page.click(`tr[data-snapshot-id="${second.id}"] button[data-action=set-a]`);
    await page.waitForSelector(`[data-section=snapshots][data-a="${second.id}"][data-b="${first.id}"]`);
    await page.waitForSelector(`[data-part=diff][data-state=ready][data-key="${second.id}|${first.id}"]`, { timeout: 30_000 });
    rows = await tableRows(page, 'diff');
    assertOrdered(rows, 'retainedSizeDelta', 'desc');
    // Shrinkage sorts last, past the first 200 rows: the filter finds it.
    await page.fill('[data-table=diff] .table-filter', 'CachedResponse');
    const reversed = (await tableRows(page, 'diff')).find((r) => r.type === 'CachedResponse');
    assert.ok(reversed);
    assert.equal(reversed.values.countDelta, -cached.values.countDelta);
    await page.locator('[data-section=snapshots]').screenshot({ path: screenshotPath('snapshot-diff') });
    assert.deepEqual(watch.errors, []);
  } finally {
    await page.close();
  }
});
