'use strict';
/**
 * A leaking HTTP service: interval timers that are never cleared.
 *
 * The bug: every `/subscribe` request starts `setInterval(() => subscription.poll(), 20_000)` to
 * refresh a PollingSubscription, and throws the handle away, so nothing can ever call
 * `clearInterval`. No variable of the app holds the subscriptions: Node's own timer list for the
 * 20 s duration (the `TimersList` in `timerListMap` of lib/internal/timers.js) keeps every
 * Timeout, its `_onTimeout` closure and, through the closure's context, the `subscription`
 * variable's PollingSubscription (about 4 KB with its last payload) alive. Half the load
 * subscribes, so the heap floor rises by about 220 KB/s, roughly 13 MB per minute at the default
 * 100 requests/s, and the timers' callbacks pile up too.
 *
 *   node samples/leaky-timer-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const { fakePayload } = require('./fake-payload');
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'leaky-timer-server';
const POLL_EVERY_MS = 20_000;

/** Named, so the leaked objects show under their own constructor in a heap snapshot. */
class PollingSubscription {
  constructor(topic) {
    this.topic = topic;
    this.lastPayload = fakePayload(`topic-${topic}`, 4000);
    this.polls = 0;
  }

  poll() {
    this.polls++;
  }
}

let subscriptions = 0;

function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/subscribe') {
    const subscription = new PollingSubscription(url.searchParams.get('topic'));
    // THE LEAK: the interval is never cleared; its handle is not even kept.
    setInterval(() => subscription.poll(), POLL_EVERY_MS);
    subscriptions++;
  }
  const body = JSON.stringify({ ok: true, subscriptions });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let counter = 0;

runSelfDrivingServer({
  name: NAME,
  handle,
  nextPath: () => (++counter % 2 === 0 ? `/subscribe?topic=${counter}` : '/status'),
  describe: () => `${subscriptions} interval timers never cleared`,
});
