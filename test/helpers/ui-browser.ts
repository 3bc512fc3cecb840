import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium package; the UI tests need the real browser, never a stand-in. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium; throws (so the test fails, not skips) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  assert.ok(fs.existsSync(CHROMIUM_PATH), `Chromium is required for the UI test: install the Debian package "chromium" (${CHROMIUM_PATH})`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** What a page did that a test should know about: script errors and live pushes. */
export interface PageWatch {
  errors: string[];
  /** `batch` frames received on the `/live` WebSocket. */
  batchFrames(): number;
}

/** Records uncaught page errors, console errors and `/live` batch frames of `page`. */
export function watchPage(page: Page): PageWatch {
  const errors: string[] = [];
  let batches = 0;
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('websocket', (ws) => {
    ws.on('framereceived', (frame) => {
      if (typeof frame.payload === 'string' && frame.payload.includes('"type":"batch"')) batches++;
    });
  });
  return { errors, batchFrames: () => batches };
}

/** Where a UI test leaves a screenshot of what it saw (kept after the run, for a failing CI job). */
export function screenshotPath(name: string): string {
  return path.join(os.tmpdir(), `leakwatch-ui-${name}.png`);
}

/**
 * A new page at the size every UI test uses, watched (and handed to `beforeLoad`, for listeners
 * that must see the first frames) before it loads `url`.
 */
export async function openWatchedPage(browser: Browser | undefined, url: string, beforeLoad?: (page: Page) => void): Promise<{ page: Page; watch: PageWatch }> {
  assert.ok(browser, 'browser launched');
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const watch = watchPage(page);
  beforeLoad?.(page);
  await page.goto(url);
  return { page, watch };
}

/** The parts of a chart.js Chart the tests read (the test build has no DOM/chart.js types). */
export interface ChartView {
  data: { datasets: { label?: string; data: { x: number; y: number }[] }[] };
  scales: Record<string, { min: number; max: number; ticks: { label?: string | string[] }[] }>;
  isDatasetVisible(index: number): boolean;
}

export type ChartName = 'heap' | 'memory' | 'spaces' | 'gc' | 'eventLoop';
export const CHART_NAMES: ChartName[] = ['heap', 'memory', 'spaces', 'gc', 'eventLoop'];

export interface ChartSummary {
  datasets: { label: string; visible: boolean; points: number; positive: number; lastX: number | null }[];
  xMin: number;
  xMax: number;
  xTicks: string[];
  yTicks: string[];
}

/** Reads `window.leakwatchCharts[name]` into plain data. */
export function chartSummary(page: Page, name: ChartName): Promise<ChartSummary> {
  return page.evaluate((chartName) => {
    const charts = (globalThis as unknown as { leakwatchCharts?: Record<string, ChartView> }).leakwatchCharts;
    const chart = charts?.[chartName];
    if (!chart) throw new Error(`window.leakwatchCharts.${chartName} is missing`);
    const label = (tick: { label?: string | string[] }) => (Array.isArray(tick.label) ? tick.label.join(' ') : String(tick.label ?? ''));
    return {
      datasets: chart.data.datasets.map((d, i) => ({
        label: String(d.label),
        visible: chart.isDatasetVisible(i),
        points: d.data.length,
        positive: d.data.filter((p) => p.y > 0).length,
        lastX: d.data.length > 0 ? d.data[d.data.length - 1].x : null,
      })),
      xMin: chart.scales.x.min,
      xMax: chart.scales.x.max,
      xTicks: chart.scales.x.ticks.map(label),
      yTicks: chart.scales.y.ticks.map(label),
    };
  }, name);
}
