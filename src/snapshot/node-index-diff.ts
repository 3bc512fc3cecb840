import type { NodeIdDiff } from '../shared/snapshot-data';
import { readVarint, type NodeIndex, type NodeIndexSection, type VarintCursor } from './node-index';

const NO_SECTION: NodeIndexSection = { count: 0, start: 0, end: 0 };

/**
 * One type's objects by id, `a` against `b`: both id lists are ascending, so one merge pass
 * (DevTools' calculateDiffForClass) finds the ids only in b (new: allocated after a and still
 * alive in b) and those only in a (deleted: freed, or no longer counted, between the two).
 */
function mergeSection(aBytes: Uint8Array, a: NodeIndexSection, bBytes: Uint8Array, b: NodeIndexSection): NodeIdDiff {
  const ca: VarintCursor = { bytes: aBytes, pos: a.start };
  const cb: VarintCursor = { bytes: bBytes, pos: b.start };
  let leftA = a.count;
  let leftB = b.count;
  let idA = 0;
  let idB = 0;
  let sizeA = 0;
  let sizeB = 0;
  if (leftA > 0) {
    idA = readVarint(ca);
    sizeA = readVarint(ca);
  }
  if (leftB > 0) {
    idB = readVarint(cb);
    sizeB = readVarint(cb);
  }
  let newCount = 0;
  let newSize = 0;
  let deletedCount = 0;
  let deletedSize = 0;
  while (leftA > 0 && leftB > 0) {
    if (idA < idB) {
      deletedCount++;
      deletedSize += sizeA;
      if (--leftA > 0) {
        idA += readVarint(ca);
        sizeA = readVarint(ca);
      }
    } else if (idA > idB) {
      newCount++;
      newSize += sizeB;
      if (--leftB > 0) {
        idB += readVarint(cb);
        sizeB = readVarint(cb);
      }
    } else {
      if (--leftA > 0) {
        idA += readVarint(ca);
        sizeA = readVarint(ca);
      }
      if (--leftB > 0) {
        idB += readVarint(cb);
        sizeB = readVarint(cb);
      }
    }
  }
  // What is left on one side has no partner: the sizes are still decoded to sum them.
  if (leftA > 0) {
    deletedCount += leftA;
    deletedSize += sizeA;
    for (let k = 1; k < leftA; k++) {
      readVarint(ca);
      deletedSize += readVarint(ca);
    }
  }
  if (leftB > 0) {
    newCount += leftB;
    newSize += sizeB;
    for (let k = 1; k < leftB; k++) {
      readVarint(cb);
      newSize += readVarint(cb);
    }
  }
  return { newCount, deletedCount, newSize, deletedSize };
}

/**
 * #New, #Deleted, and their sizes per type between two snapshots of one process, as DevTools'
 * Comparison view counts them: an object is matched by its V8 id within its type, so an object
 * that changed type (which V8 does not do for JS objects) counts as deleted in one and new in the
 * other. Every type of either index gets an entry. Snapshots of two different processes share no
 * meaning of ids: the result is then noise, which is why callers match ids only between two
 * snapshots of one process (one boot of the probe).
 */
export function diffNodeIndexes(a: NodeIndex, b: NodeIndex): Map<string, NodeIdDiff> {
  const out = new Map<string, NodeIdDiff>();
  for (const [type, section] of a.types) out.set(type, mergeSection(a.bytes, section, b.bytes, b.types.get(type) ?? NO_SECTION));
  for (const [type, section] of b.types) {
    if (!a.types.has(type)) out.set(type, mergeSection(a.bytes, NO_SECTION, b.bytes, section));
  }
  return out;
}
