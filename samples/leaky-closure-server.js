'use strict';
/**
 * A leaking HTTP service: a small closure that keeps a large context alive.
 *
 * The bug: each request stores a retry callback, `() => status`, in the module-level
 * `retryHandlers` Map (keyed by request id; nothing removes them). The callback itself only
 * reads `status`, but in the same scope another closure (`checksum`) uses the request's
 * `upload`, and V8 gives all closures of one scope a single shared context object: so the
 * stored callback keeps the whole context, and with it one UploadBuffer of about 4 KB, alive
 * (the V8 behaviour Meteor's "An interesting kind of JavaScript memory leak", 2013, describes).
 * The heap floor rises by about 400 KB/s, roughly 24 MB per minute at the default 100
 * requests/s. A snapshot shows `retryHandlers (Map) › [*] › (closure) › context › upload ›
 * UploadBuffer`.
 *
 *   node samples/leaky-closure-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const { fakePayload } = require('./fake-payload');
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'leaky-closure-server';

/** Named, so the leaked objects show under their own constructor in a heap snapshot. */
class UploadBuffer {
  constructor(id) {
    this.id = id;
    this.data = fakePayload(`upload-${id}`, 4000);
    this.receivedAt = Date.now();
  }
}

/** THE LEAK: one retry callback per request, never deleted; each keeps its request's context. */
const retryHandlers = new Map();

let requestId = 0;

function handle(req, res) {
  const id = ++requestId;
  const upload = new UploadBuffer(id);
  const status = 200;
  // Uses `upload`, so `upload` lives in the scope's context, the one the retry callback shares.
  const checksum = () => upload.data.length;
  retryHandlers.set(id, () => status);
  const body = JSON.stringify({ id, bytes: checksum() });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let counter = 0;

runSelfDrivingServer({
  name: NAME,
  handle,
  nextPath: () => `/upload?n=${++counter}`,
  describe: () => `${retryHandlers.size} retry handlers`,
});
