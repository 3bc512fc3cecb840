import type { NumberSink } from './number-array-reader';
import { snapshotError } from './snapshot-error';

/**
 * The `locations` section: where V8 says each closure was defined. V8's serializer
 * (HeapSnapshotJSONSerializer::SerializeLocations) writes four numbers per closure, in the order
 * of `meta.location_fields` (object_index, script_id, line, column; lines and columns 0-based),
 * object_index being the index of the closure's first field in `nodes`. Kept as a flat
 * Uint32Array of (node ordinal, script id, line, column) quadruples, sorted by ordinal because V8
 * writes them in node order; nothing else reads it.
 */
export interface LocationsSink extends NumberSink {
  /** The quadruples read, trimmed to length. */
  result(): Uint32Array;
}

export function createLocationsSink(nodeFieldCount: number, nodeCount: number): LocationsSink {
  let values = new Uint32Array(1024);
  let length = 0;
  return {
    store(numbers, count, at) {
      if (length + count > values.length) {
        const grown = new Uint32Array(Math.max(values.length * 2, length + count));
        grown.set(values.subarray(0, length));
        values = grown;
      }
      for (let i = 0; i < count; i++) {
        let v = numbers[i];
        if (v > 0xffff_ffff) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `a location holds ${v}, above 2^32 (near byte ${at})`);
        if ((length + i) % 4 === 0) {
          if (v % nodeFieldCount !== 0 || v / nodeFieldCount >= nodeCount) {
            throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `a location names node index ${v}, not the start of a node (near byte ${at})`);
          }
          v /= nodeFieldCount;
        }
        values[length + i] = v;
      }
      length += count;
    },
    end(at) {
      if (length % 4 !== 0) throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `locations holds ${length} numbers, not whole quadruples (byte ${at})`);
    },
    result() {
      return values.slice(0, length);
    },
  };
}
