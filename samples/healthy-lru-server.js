'use strict';
/**
 * A healthy HTTP service: an LRU cache that fills to its cap and stays there.
 *
 * Profiles are cached in an `lru-cache` LRUCache with `max: 1000`, the way its README asks
 * ("it is strongly recommended to set a `max`"), over a key space five times larger, so once the
 * module-level `profileCache` is full every miss evicts the least recently used CachedProfile
 * (about 1.6 KB each). The heap floor rises by about 1.6 MB while the cache fills (about 11 s at
 * the default 100 requests/s; the sample prints one line when it first reaches its cap), then
 * stays flat: a profiler should call this "no leak", and the cache no suspect.
 *
 *   node samples/healthy-lru-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Needs the `lru-cache` package (a devDependency).
 */
const { LRUCache } = require('lru-cache');
const { fakePayload } = require('./fake-payload');
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'healthy-lru-server';
const CACHE_MAX = 1000;
const ID_SPACE = CACHE_MAX * 5;

/** Named, so the cached objects show under their own constructor in a heap snapshot. */
class CachedProfile {
  constructor(id) {
    this.id = id;
    this.rendered = fakePayload(`profile-${id}`, 1500);
    this.cachedAt = Date.now();
  }
}

/** Bounded: at most CACHE_MAX profiles, the least recently used one evicted first. */
const profileCache = new LRUCache({ max: CACHE_MAX });
const startedAt = Date.now();
let full = false;

function handle(req, res) {
  const id = new URL(req.url, 'http://localhost').searchParams.get('id') ?? '0';
  let profile = profileCache.get(id);
  if (!profile) {
    profile = new CachedProfile(id);
    profileCache.set(id, profile);
    if (!full && profileCache.size === CACHE_MAX) {
      full = true;
      console.log(`${NAME} warmed up: the cache reached its cap of ${CACHE_MAX} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    }
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(profile.rendered) });
  res.end(profile.rendered);
}

runSelfDrivingServer({
  name: NAME,
  handle,
  nextPath: () => `/profile?id=${Math.floor(Math.random() * ID_SPACE)}`,
  describe: () => `${profileCache.size} cached profiles (cap ${CACHE_MAX})`,
});
