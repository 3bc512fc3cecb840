'use strict';
/**
 * A healthy HTTP service: sessions that expire.
 *
 * Every request logs a user in and stores a UserSession (about 1.6 KB) in the module-level
 * `sessions` Map. Each session lives 5 s from its login; a sweeper (every 500 ms, unref'd)
 * deletes the expired ones, so the Map holds about 5 s of logins, some 500 sessions at the
 * default 100 requests/s, and the heap floor stays flat after the first 5 s (the sample prints
 * one line when the first sessions expire). A profiler should call this "no leak": the Map
 * churns, but does not grow.
 *
 *   node samples/healthy-sessions-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const { fakePayload } = require('./fake-payload');
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'healthy-sessions-server';
const SESSION_TTL_MS = 5000;
const SWEEP_EVERY_MS = 500;

/** Named, so the sessions show under their own constructor in a heap snapshot. */
class UserSession {
  constructor(id, user) {
    this.id = id;
    this.user = user;
    this.claims = fakePayload(`claims-${user}`, 1500);
    this.expiresAt = Date.now() + SESSION_TTL_MS;
  }
}

/** Bounded by time: every session is deleted by the sweeper within SWEEP_EVERY_MS of expiring. */
const sessions = new Map();
let expired = 0;

const sweeper = setInterval(() => {
  const now = Date.now();
  const before = expired;
  // A Map iterates in insertion order and every session gets the same lifetime, so the expired
  // ones are at the front: stop at the first that is still valid.
  for (const [id, session] of sessions) {
    if (session.expiresAt > now) break;
    sessions.delete(id);
    expired++;
  }
  if (before === 0 && expired > 0) console.log(`${NAME} warmed up: sessions expire now, ${sessions.size} live`);
}, SWEEP_EVERY_MS);
sweeper.unref();

let sessionId = 0;

function handle(req, res) {
  const user = new URL(req.url, 'http://localhost').searchParams.get('user') ?? 'anonymous';
  const session = new UserSession(++sessionId, user);
  sessions.set(session.id, session);
  const body = JSON.stringify({ session: session.id, expiresAt: session.expiresAt });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let counter = 0;

runSelfDrivingServer({
  name: NAME,
  handle,
  nextPath: () => `/login?user=user-${++counter % 997}`,
  describe: () => `${sessions.size} live sessions, ${expired} expired`,
});
