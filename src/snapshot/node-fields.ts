import type { GraphArrays } from './heap-graph';
import type { NumberSink } from './number-array-reader';
import { snapshotError } from './snapshot-error';
import type { SnapshotMeta } from './snapshot-meta';

const MAX_U32 = 0xffff_ffff;

// Field kinds: what to do with the k-th number of a node.
const SKIP = 0;
const NODE_TYPE = 1;
const NODE_NAME = 2;
const NODE_ID = 3;
const NODE_SIZE = 4;
const NODE_EDGES = 5;

export interface NodeFields extends NumberSink {
  /** Largest string index used as a node name so far (-1: none). */
  readonly maxName: number;
  /** Fails with LW_ERR_SNAPSHOT_INDEX, naming the first culprit, if a name is beyond the strings. */
  checkNames(stringCount: number): void;
}

/**
 * Distributes the numbers of `nodes` to the node arrays, keeping the fields the analysis uses
 * (type, name, id, self size; edge counts become first-edge indexes) and dropping the rest
 * (trace_node_id, detachedness...). Values are checked while stored; the largest name index is
 * tracked so the strings can be chosen and checked later without another pass.
 */
export function createNodeFields(meta: SnapshotMeta, arrays: GraphArrays): NodeFields {
  const { nodeType, nodeName, nodeId, selfSize, firstEdge } = arrays;
  const nf = meta.nodeFieldCount;
  const kinds = new Uint8Array(nf).fill(SKIP);
  kinds[meta.nodeTypeOffset] = NODE_TYPE;
  kinds[meta.nodeNameOffset] = NODE_NAME;
  kinds[meta.nodeIdOffset] = NODE_ID;
  kinds[meta.nodeSelfSizeOffset] = NODE_SIZE;
  kinds[meta.nodeEdgeCountOffset] = NODE_EDGES;
  let ordinal = 0; // nodes complete
  let field = 0; // fields read of the next one
  let edgeSum = 0;
  let maxName = -1;

  /**
   * Whole nodes go through a loop that reads each field at its fixed offset (several times
   * cheaper than a per-number switch); the careful per-number path, one(), finishes a node split
   * across calls and names any bad value.
   */
  function store(values: Float64Array, count: number, at: number): void {
    const typeCount = meta.nodeTypeNames.length;
    const nodeLimit = meta.nodeCount;
    const edgeLimit = meta.edgeCount;
    let j = 0;
    while (j < count) {
      if (field === 0) {
        // Locals, not closure variables, in the loop that runs once per node.
        const types = nodeType;
        const names = nodeName;
        const ids = nodeId;
        const sizes = selfSize;
        const first = firstEdge;
        const tOff = meta.nodeTypeOffset;
        const nOff = meta.nodeNameOffset;
        const iOff = meta.nodeIdOffset;
        const sOff = meta.nodeSelfSizeOffset;
        const eOff = meta.nodeEdgeCountOffset;
        let n = ordinal;
        let sum = edgeSum;
        let max = maxName;
        const whole = Math.min(Math.floor((count - j) / nf), nodeLimit - n);
        for (let w = 0; w < whole; w++) {
          const t = values[j + tOff];
          const name = values[j + nOff];
          const id = values[j + iOff];
          const size = values[j + sOff];
          const edges = values[j + eOff];
          if (t >= typeCount || name > MAX_U32 || id > MAX_U32 || size > Number.MAX_SAFE_INTEGER || sum + edges > edgeLimit) break;
          sum += edges;
          if (name > max) max = name;
          types[n] = t;
          names[n] = name;
          ids[n] = id;
          sizes[n] = size;
          first[n + 1] = sum;
          n++;
          j += nf;
        }
        ordinal = n;
        edgeSum = sum;
        maxName = max;
        if (j >= count) break;
      }
      one(values[j], at);
      j++;
    }
  }

  function one(v: number, at: number): void {
    const n = ordinal;
    if (n >= meta.nodeCount) throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `nodes has more than node_count (${meta.nodeCount}) nodes (near byte ${at})`);
    switch (kinds[field]) {
      case NODE_TYPE:
        if (v >= meta.nodeTypeNames.length) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `node ${n} has type ${v}, there are ${meta.nodeTypeNames.length} node types`);
        nodeType[n] = v;
        break;
      case NODE_NAME:
        if (v > MAX_U32) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `node ${n} has name index ${v}`);
        nodeName[n] = v;
        if (v > maxName) maxName = v;
        break;
      case NODE_ID:
        if (v > MAX_U32) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `node ${n} has id ${v}, above 2^32`);
        nodeId[n] = v;
        break;
      case NODE_SIZE:
        if (v > Number.MAX_SAFE_INTEGER) throw snapshotError('LW_ERR_SNAPSHOT_SYNTAX', `node ${n} has self size ${v}, beyond exact integers`);
        selfSize[n] = v;
        break;
      case NODE_EDGES:
        edgeSum += v;
        if (edgeSum > meta.edgeCount) throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `the nodes' edge counts exceed edge_count (${meta.edgeCount}) at node ${n}`);
        firstEdge[n + 1] = edgeSum;
        break;
    }
    if (field + 1 === nf) {
      field = 0;
      ordinal = n + 1;
    } else {
      field++;
    }
  }

  function end(at: number): void {
    if (ordinal !== meta.nodeCount || field !== 0) {
      throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `nodes holds ${ordinal * nf + field} numbers, node_count ${meta.nodeCount} needs ${meta.nodeCount * nf} (byte ${at})`);
    }
    if (edgeSum !== meta.edgeCount) {
      throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `the nodes' edge counts add up to ${edgeSum}, edge_count is ${meta.edgeCount}`);
    }
  }

  return {
    store,
    end,
    get maxName() {
      return maxName;
    },
    checkNames(stringCount) {
      if (maxName < stringCount) return;
      const i = nodeName.findIndex((name) => name >= stringCount);
      throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `node ${i} has name index ${nodeName[i]}, there are ${stringCount} strings`);
    },
  };
}
