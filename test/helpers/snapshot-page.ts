import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { SnapshotRecord } from '../../src/shared/snapshot-data';
import { openWatchedPage, type PageWatch } from './ui-browser';
import { getJson } from './wait-for';

/** What the run page's heap snapshot section exposes to the UI tests, and how they drive it. */

/** A snapshot marker on the heap chart, as `window.leakwatchSnapshotMarkers()` reports it. */
export interface MarkerPosition {
  id: string;
  takenAt: number;
  status: string;
  x: number;
  top: number;
  bottom: number;
}

/** What the page's tables expose: each row's type and its cells' `data-value`s by column. */
export interface TableRow {
  type: string;
  values: Record<string, number>;
}

interface ElementView {
  dataset: Record<string, string | undefined>;
  cells: ArrayLike<{ dataset: Record<string, string | undefined> }>;
}

/** A watched page at `url`, recording the `snapshot` pushes it receives from the first frame. */
export async function openSnapshotPage(browser: Browser | undefined, url: string): Promise<{ page: Page; watch: PageWatch; frames: { id: string; status: string }[] }> {
  let frames: { id: string; status: string }[] = [];
  const opened = await openWatchedPage(browser, url, (page) => (frames = recordSnapshotFrames(page)));
  return { ...opened, frames };
}

export function tableRows(page: Page, name: 'types' | 'diff'): Promise<TableRow[]> {
  return page.locator(`[data-table=${name}] tbody tr`).evaluateAll((rows) =>
    (rows as unknown as ElementView[]).map((tr) => ({
      type: tr.dataset.type ?? '',
      values: Object.fromEntries(Array.from(tr.cells, (td) => [td.dataset.col ?? '', Number(td.dataset.value)])),
    })),
  );
}

export async function tableState(page: Page, name: 'types' | 'diff'): Promise<Record<string, string>> {
  const table = page.locator(`[data-table=${name}]`);
  const read = async (attr: string) => (await table.getAttribute(`data-${attr}`)) ?? '';
  return { sortKey: await read('sort-key'), sortDir: await read('sort-dir'), total: await read('total'), matching: await read('matching'), shown: await read('shown') };
}

export function assertOrdered(rows: TableRow[], key: string, dir: 'asc' | 'desc'): void {
  assert.ok(rows.length > 1, `more than one row to order by ${key}`);
  for (let i = 1; i < rows.length; i++) {
    const [prev, next] = [rows[i - 1].values[key], rows[i].values[key]];
    assert.ok(dir === 'desc' ? prev >= next : prev <= next, `rows ordered by ${key} ${dir}: row ${i - 1} has ${prev}, row ${i} has ${next}`);
  }
}

export function markerPositions(page: Page): Promise<MarkerPosition[]> {
  return page.evaluate(() => (globalThis as unknown as { leakwatchSnapshotMarkers?: () => MarkerPosition[] }).leakwatchSnapshotMarkers?.() ?? []);
}

/** `GET /api/runs/:id/snapshots` of the collector at `base`. */
export async function snapshotsOf(base: string, id: string): Promise<SnapshotRecord[]> {
  const { status, body } = await getJson<{ snapshots: SnapshotRecord[] }>(`${base}/api/runs/${id}/snapshots`);
  assert.equal(status, 200);
  return body.snapshots;
}

/** `snapshot` pushes the page receives on `/live`. */
function recordSnapshotFrames(page: Page): { id: string; status: string }[] {
  const frames: { id: string; status: string }[] = [];
  page.on('websocket', (ws) => {
    ws.on('framereceived', (frame) => {
      if (typeof frame.payload !== 'string' || !frame.payload.includes('"type":"snapshot"')) return;
      const msg = JSON.parse(frame.payload) as { snapshot: SnapshotRecord };
      frames.push({ id: msg.snapshot.id, status: msg.snapshot.status });
    });
  });
  return frames;
}

/**
 * Waits until the sections above the snapshot list (verdict line, growth suspects, allocation
 * sites) have had their first answer. Each one changes height when it does, so a click aimed at
 * the take button before then can land on whatever slid under the pointer: the lost click a busy
 * CI machine hit (first with the suspects panel, then with the allocation sites panel).
 */
export async function waitForSettledLayout(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForSelector('.verdict-line:not([data-verdict=pending])', { timeout: timeoutMs });
  await page.waitForSelector('[data-section=suspects]:not([data-state=loading])', { timeout: timeoutMs });
  await page.waitForSelector('[data-section=alloc-sites]:not([data-state=loading])', { timeout: timeoutMs });
}

/**
 * Clicks the take button once the layout has settled, and confirms the click reached the page:
 * the page sends its POST to the snapshot API. A later refresh of a panel above can still move
 * the button between Playwright's hit test and the mouse event; a click that sent nothing is
 * clicked again (it cannot double a request, since none was sent).
 */
export async function clickTakeSnapshot(page: Page, attempts = 3): Promise<void> {
  await waitForSettledLayout(page);
  for (let attempt = 1; ; attempt++) {
    const posted = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/runs\/[^/]+\/snapshots$/.test(new URL(r.url()).pathname), { timeout: 5_000 });
    await page.click('button[data-action=take-snapshot]');
    try {
      await posted;
      return;
    } catch (err) {
      if (attempt >= attempts) throw new Error(`the take button sent no snapshot request after ${attempts} clicks: ${(err as Error).message}`);
    }
  }
}

/**
 * Clicks the take button and returns the answer shown next to it. A press inside the collector's
 * gap between two snapshot requests of a run (LW_ERR_SNAPSHOT_RATE_LIMITED, 10 s by default) is
 * pressed again a second later, as a user told to wait would; any other answer is returned.
 */
export async function takeSnapshot(page: Page, rateLimitedForMs = 20_000): Promise<{ answer: string; code: string; text: string }> {
  const answer = page.locator('.take-answer');
  const deadline = Date.now() + rateLimitedForMs;
  for (;;) {
    await clickTakeSnapshot(page);
    await page.waitForSelector('.take-answer[data-answer]:not([hidden])', { timeout: 30_000 });
    const shown = { answer: (await answer.getAttribute('data-answer')) ?? '', code: (await answer.getAttribute('data-code')) ?? '', text: (await answer.textContent()) ?? '' };
    if (shown.code !== 'LW_ERR_SNAPSHOT_RATE_LIMITED' || Date.now() > deadline) return shown;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function waitForRowStatus(page: Page, id: string, status: string, timeoutMs = 90_000): Promise<void> {
  await page.waitForSelector(`tr[data-snapshot-id="${id}"][data-status=${status}]`, { timeout: timeoutMs });
}
