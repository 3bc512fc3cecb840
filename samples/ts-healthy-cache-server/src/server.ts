/**
 * A healthy product-page service in TypeScript, the control for the leaky TypeScript samples:
 * rendered pages are cached in a BoundedCache (bounded-cache.ts) of 600 entries over a catalogue
 * five times larger, so the cache keeps evicting and the heap floor stays flat once it is full
 * (after about 7 s at the default 100 requests/s; the sample prints one line then). Compiled with
 * external source maps into samples/ts-healthy-cache-server/dist/ by `npm run build`. A profiler
 * should call this "no leak", with no growing allocation site and no growth suspect.
 *
 *   node samples/ts-healthy-cache-server/dist/server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runSelfDrivingServer } from '../../self-driving-server';
import { BoundedCache } from './bounded-cache';

const NAME = 'ts-healthy-cache-server';
const CACHE_CAPACITY = 600;
const CATALOGUE_SIZE = CACHE_CAPACITY * 5;

/** One rendered page. A class, so it shows under its own name in a heap snapshot. */
class RenderedPage {
  readonly renderedAt = Date.now();
  readonly html: string;

  constructor(readonly productId: number) {
    // One flat string of about 2 KB, as a template engine's output would be.
    this.html = JSON.stringify({ productId, title: `Product ${productId}`, description: `Product ${productId} is great. `.repeat(80).slice(0, 1900) });
  }
}

const pages = new BoundedCache<number, RenderedPage>(CACHE_CAPACITY);
const startedAt = Date.now();
let full = false;

function showProduct(req: IncomingMessage, res: ServerResponse): void {
  const productId = Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('id') ?? 0);
  let page = pages.get(productId);
  if (!page) {
    page = new RenderedPage(productId);
    pages.set(productId, page);
    if (!full && pages.size === CACHE_CAPACITY) {
      full = true;
      console.log(`${NAME} warmed up: the cache reached its capacity of ${CACHE_CAPACITY} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    }
  }
  res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page.html) });
  res.end(page.html);
}

runSelfDrivingServer({
  name: NAME,
  handle: showProduct,
  nextPath: () => `/product?id=${Math.floor(Math.random() * CATALOGUE_SIZE)}`,
  describe: () => `${pages.size} cached pages (capacity ${CACHE_CAPACITY})`,
});
