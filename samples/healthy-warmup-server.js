'use strict';
/**
 * A healthy HTTP service: growth during warm-up that stops.
 *
 * Pages are rendered from templates compiled on first use and memoized in the module-level
 * `templateCache` Map. The Map has no cap, but the key space does: the site has 800 templates,
 * so the cache grows until each was requested once (about 8 s at the default 100 requests/s;
 * the sample prints one line then) and then holds 800 CompiledTemplate objects (about 3 KB each,
 * some 2.4 MB) for good. A profiler should call this a plateau after warm-up, "no leak", and
 * the cache no suspect: it grew, then stopped.
 *
 *   node samples/healthy-warmup-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const { fakePayload } = require('./fake-payload');
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'healthy-warmup-server';
const TEMPLATE_COUNT = 800;

/** Named, so the cached templates show under their own constructor in a heap snapshot. */
class CompiledTemplate {
  constructor(name) {
    this.name = name;
    this.source = fakePayload(`template-${name}`, 3000);
    this.compiledAt = Date.now();
  }

  render(params) {
    return `${this.name}: ${this.source.length} bytes for ${params}`;
  }
}

/** Grows with the number of distinct templates, which is fixed: it fills, then holds. */
const templateCache = new Map();
const startedAt = Date.now();

function handle(req, res) {
  const name = new URL(req.url, 'http://localhost').searchParams.get('template') ?? 'index';
  let template = templateCache.get(name);
  if (!template) {
    template = new CompiledTemplate(name);
    templateCache.set(name, template);
    if (templateCache.size === TEMPLATE_COUNT) {
      console.log(`${NAME} warmed up: all ${TEMPLATE_COUNT} templates compiled after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    }
  }
  const body = template.render(req.url);
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let counter = 0;

runSelfDrivingServer({
  name: NAME,
  handle,
  nextPath: () => `/page?template=t${counter++ % TEMPLATE_COUNT}`,
  describe: () => `${templateCache.size} compiled templates (of ${TEMPLATE_COUNT})`,
});
