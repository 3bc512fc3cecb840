'use strict';
/**
 * A deliberately leaking HTTP service, for trying leakwatch on something that really grows.
 *
 * The bug: responses are memoized in a Map keyed by the full request URL and nothing ever evicts
 * them. Every distinct query string adds one CachedResponse (about 1.5 KB with its body and key)
 * that stays reachable from the module-level `responseCache` forever. The built-in load driver
 * requests unique URLs (`/user?id=<counter>`), so the heap floor rises steadily, by roughly
 * 5-10 MB per minute at the default 100 requests/s.
 *
 *   node samples/leaky-cache-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *   SAMPLE_DURATION=<seconds> node samples/leaky-cache-server.js
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'leaky-cache-server';


/** A named class, so the leak shows up under its own constructor name in a heap snapshot diff. */
class CachedResponse {
  constructor(url, body) {
    this.url = url;
    this.body = body;
    this.createdAt = Date.now();
    this.hits = 0;
  }
}

/** THE LEAK: unbounded, keyed by the full URL including the ever-changing query string. */
const responseCache = new Map();

function renderUser(id) {
  // About 1 KB of JSON per user: enough to make the growth visible within a minute or two.
  return JSON.stringify({
    id,
    name: `user-${id}`,
    email: `user-${id}@example.test`,
    roles: ['reader', id % 7 === 0 ? 'editor' : 'viewer'],
    bio: `User ${id} `.repeat(80).slice(0, 900),
    renderedAt: new Date().toISOString(),
  });
}

function handle(req, res) {
  let entry = responseCache.get(req.url);
  if (!entry) {
    const id = Number(new URL(req.url, 'http://localhost').searchParams.get('id') ?? 0);
    entry = new CachedResponse(req.url, renderUser(id));
    responseCache.set(req.url, entry);
  }
  entry.hits++;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(entry.body) });
  res.end(entry.body);
}

let counter = 0;

runSelfDrivingServer({
  name: NAME,
  handle,
  nextPath: () => `/user?id=${++counter}`,
  describe: () => `${responseCache.size} cached responses`,
});
