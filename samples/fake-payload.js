'use strict';
/**
 * Stand-in data for the samples: a fresh string of about `bytes` bytes, as a rendered body, an
 * upload or a reply would be. Built from a Buffer so the string is one flat sequential string on
 * the V8 heap: `'x'.repeat(n)` would give a tree of cons strings that share their halves and hold
 * far less than n bytes, and a Buffer itself would sit outside the heap (its bytes count as
 * `external`, not `heapUsed`), so neither would show a leak's real size on the heap floor.
 */
function fakePayload(label, bytes) {
  return Buffer.alloc(bytes, `${label};`).toString('latin1');
}

module.exports = { fakePayload };
