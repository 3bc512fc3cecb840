'use strict';
/**
 * A leaking HTTP service: a third-party cache used the way its own documentation warns against.
 *
 * The bug: replies to payment requests are kept for idempotent retries in an `lru-cache`
 * LRUCache configured with a `ttl` only (2 s), no `max`, no `maxSize`, no `ttlAutopurge`. Every
 * request carries a fresh idempotency key and is almost never retried, so no key is looked up
 * again after it went stale, and lru-cache never drops it. Its README says so ("Storage Bounds
 * Safety", lru-cache 11):
 *
 *   "If neither `max` nor `maxSize` are set, then `ttl` tracking must be enabled. Note that,
 *   even when tracking item `ttl`, items are _not_ preemptively deleted when they become stale,
 *   unless `ttlAutopurge` is enabled. Instead, they are only purged the next time the key is
 *   requested. Thus, if `ttlAutopurge`, `max`, and `maxSize` are all not set, then the cache
 *   will potentially grow unbounded."
 *
 * (and it prints an UnboundedCacheWarning to standard error when this sample starts). The
 * module-level `idempotencyCache` holds each IdempotentReply (about 2 KB with its body) in the
 * cache's private `#valList` array and its key in `#keyMap` (a Map): the heap floor rises by
 * about 200 KB/s, roughly 12 MB per minute at the default 100 requests/s. With `ttlAutopurge:
 * true` (or a `max`) it would hold about 2 s of replies.
 *
 *   node samples/leaky-lru-ttl-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Needs the `lru-cache` package (a devDependency).
 */
const { LRUCache } = require('lru-cache');
const { fakePayload } = require('./fake-payload');
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'leaky-lru-ttl-server';

/** Named, so the leaked objects show under their own constructor in a heap snapshot. */
class IdempotentReply {
  constructor(key) {
    this.key = key;
    this.status = 201;
    this.body = fakePayload(`charge-${key}`, 2000);
    this.storedAt = Date.now();
  }
}

/** THE LEAK: bounded by ttl alone, which lru-cache only enforces when a stale key is asked for. */
const idempotencyCache = new LRUCache({ ttl: 2000 });

function handle(req, res) {
  const key = new URL(req.url, 'http://localhost').searchParams.get('key') ?? '';
  let reply = idempotencyCache.get(key);
  if (!reply) {
    reply = new IdempotentReply(key);
    idempotencyCache.set(key, reply);
  }
  res.writeHead(reply.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

let requests = 0;
let lastKey = 0;

runSelfDrivingServer({
  name: NAME,
  handle,
  // One request in ten is a client's retry of the previous one, within the ttl: a cache hit.
  nextPath: () => `/charge?key=${++requests % 10 === 0 ? lastKey : ++lastKey}`,
  describe: () => `${idempotencyCache.size} replies cached (stale ones included)`,
});
