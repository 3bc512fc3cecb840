'use strict';
/**
 * A leaking HTTP service: calls to a downstream service whose promises never settle.
 *
 * The bug: each request calls a (simulated) inventory service over a message channel. The call
 * is a promise whose PendingCall record (about 7 KB with its request payload, the promise and its
 * resolve/reject functions) waits in the module-level `pendingCalls` Map for its reply. The
 * downstream loses one reply in four, and the client has no timeout of its own: the HTTP handler
 * gives up after 100 ms and answers 504, but the lost calls' promises never resolve or reject,
 * so their PendingCall records stay in `pendingCalls` forever. The heap floor rises by about
 * 170 KB/s, roughly 10 MB per minute at the default 100 requests/s.
 *
 *   node samples/leaky-pending-server.js [--duration <seconds, or 30s, 10m, 2h>] [--rate <requests/s>]
 *
 * Without a duration it runs until SIGINT/SIGTERM. Node built-ins only.
 */
const { fakePayload } = require('./fake-payload');
const { runSelfDrivingServer } = require('./self-driving-server');

const NAME = 'leaky-pending-server';
const LOSE_EVERY = 4;
const HANDLER_TIMEOUT_MS = 100;

/** Named, so the leaked objects show under their own constructor in a heap snapshot. */
class PendingCall {
  constructor(id, resolve, reject) {
    this.id = id;
    this.request = fakePayload(`reserve-${id}`, 6000);
    this.sentAt = Date.now();
    this.resolve = resolve;
    this.reject = reject;
  }
}

/** THE LEAK: a call leaves only when its reply arrives; lost replies leave their calls here. */
const pendingCalls = new Map();

/** The simulated downstream: answers on the next turn of the event loop, except every LOSE_EVERY-th. */
function sendToInventory(call) {
  if (call.id % LOSE_EVERY === 0) return;
  setImmediate(() => onReply({ id: call.id, reserved: true }));
}

function onReply(reply) {
  const call = pendingCalls.get(reply.id);
  if (!call) return;
  pendingCalls.delete(reply.id);
  call.resolve(reply);
}

let callId = 0;

function callInventory() {
  return new Promise((resolve, reject) => {
    const call = new PendingCall(++callId, resolve, reject);
    pendingCalls.set(call.id, call);
    sendToInventory(call);
  });
}

async function handle(req, res) {
  let timer;
  const gaveUp = new Promise((resolve) => (timer = setTimeout(resolve, HANDLER_TIMEOUT_MS, null)));
  const reply = await Promise.race([callInventory(), gaveUp]);
  clearTimeout(timer);
  const body = JSON.stringify(reply ?? { error: 'inventory did not answer' });
  res.writeHead(reply ? 200 : 504, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let counter = 0;

runSelfDrivingServer({
  name: NAME,
  handle,
  nextPath: () => `/reserve?item=${++counter}`,
  describe: () => `${pendingCalls.size} calls never settled`,
});
