'use strict';
/**
 * A leaking HTTP service: listener accumulation on a long-lived EventEmitter.
 *
 * The bug: every request subscribes to configuration reloads with `configEvents.on('reload', …)`
 * so it can apply a new setting mid-request, and nothing ever calls `off`. The module-level
 * `configEvents` (an EventEmitter) keeps each listener in its `_events.reload` array; each
 * listener is a closure whose context holds one ConfigSubscriber (about 1.6 KB with its
 * preferences string). Someone silenced Node's MaxListenersExceededWarning with
 * `setMaxListeners(0)` instead of fixing it, so nothing warns. The heap floor rises by about
 * 160 KB/s, roughly 10 MB per minute at the default 100 requests/s; a reload every 10 s calls
 * every listener ever added.
 *
 *   node samples/leaky-listener-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const { EventEmitter } = require('node:events');
const { fakePayload } = require('./fake-payload');
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'leaky-listener-server';

/** Named, so the leaked objects show under their own constructor in a heap snapshot. */
class ConfigSubscriber {
  constructor(requestId) {
    this.requestId = requestId;
    this.preferences = fakePayload(`prefs-${requestId}`, 1500);
    this.configVersion = 0;
  }

  applyConfig(config) {
    this.configVersion = config.version;
  }
}

/** THE LEAK: lives as long as the process, and gains one 'reload' listener per request. */
const configEvents = new EventEmitter();
configEvents.setMaxListeners(0);

let configVersion = 1;
setInterval(() => configEvents.emit('reload', { version: ++configVersion }), 10_000).unref();

function handle(req, res) {
  const subscriber = new ConfigSubscriber(req.url);
  configEvents.on('reload', (config) => subscriber.applyConfig(config));
  const body = JSON.stringify({ ok: true, configVersion, listeners: configEvents.listenerCount('reload') });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let counter = 0;

runSelfDrivingServer({
  name: NAME,
  handle,
  nextPath: () => `/settings?request=${++counter}`,
  describe: () => `${configEvents.listenerCount('reload')} reload listeners`,
});
