import type { GraphArrays } from './heap-graph';
import type { NumberSink } from './number-array-reader';
import { snapshotError } from './snapshot-error';
import type { SnapshotMeta } from './snapshot-meta';

const MAX_U32 = 0xffff_ffff;

// Field kinds: what to do with the k-th number of an edge.
const SKIP = 0;
const EDGE_TYPE = 1;
const EDGE_NAME = 2;
const EDGE_TO = 3;

export interface EdgeFields extends NumberSink {
  /** Largest string index used as the name of an `internal` edge so far (-1: none). */
  readonly maxInternalName: number;
  /** Index of the `internal` edge type (-1: none): where V8 writes WeakMap ephemeron edges. */
  readonly internalType: number;
  /** Fails with LW_ERR_SNAPSHOT_INDEX, naming the first culprit, if a name is beyond the strings. */
  checkNames(stringCount: number): void;
}

/**
 * Distributes the numbers of `edges` to the edge arrays (same split as node-fields.ts): type,
 * name or index, and the target as a node ordinal (the file stores the index into `nodes`, which
 * must be the start of a node). The largest name indexes are tracked while storing, for string-named edges
 * (all but `element` and `hidden`, whose "name" is an index) and for `internal` ones.
 */
export function createEdgeFields(meta: SnapshotMeta, arrays: GraphArrays): EdgeFields {
  const { edgeType, edgeName, edgeTarget } = arrays;
  const ef = meta.edgeFieldCount;
  const nf = meta.nodeFieldCount;
  const kinds = new Uint8Array(ef).fill(SKIP);
  kinds[meta.edgeTypeOffset] = EDGE_TYPE;
  kinds[meta.edgeNameOffset] = EDGE_NAME;
  kinds[meta.edgeToNodeOffset] = EDGE_TO;
  const elementType = meta.edgeTypeNames.indexOf('element');
  const hiddenType = meta.edgeTypeNames.indexOf('hidden');
  const internalType = meta.edgeTypeNames.indexOf('internal');
  let ordinal = 0; // edges complete
  let field = 0; // fields read of the next one
  let maxNamedName = -1;
  let maxInternalName = -1;

  function store(values: Float64Array, count: number, at: number): void {
    const typeCount = meta.edgeTypeNames.length;
    const nodeIndexLimit = meta.nodeCount * nf;
    let j = 0;
    while (j < count) {
      if (field === 0) {
        // Locals, not closure variables, in the loop that runs once per edge.
        const types = edgeType;
        const names = edgeName;
        const targets = edgeTarget;
        const tOff = meta.edgeTypeOffset;
        const nOff = meta.edgeNameOffset;
        const toOff = meta.edgeToNodeOffset;
        let e = ordinal;
        let maxNamed = maxNamedName;
        let maxInternal = maxInternalName;
        const element = elementType;
        const hidden = hiddenType;
        const internal = internalType;
        const whole = Math.min(Math.floor((count - j) / ef), meta.edgeCount - e);
        for (let w = 0; w < whole; w++) {
          const t = values[j + tOff];
          const name = values[j + nOff];
          const to = values[j + toOff];
          const target = Math.floor(to / nf);
          if (t >= typeCount || name > MAX_U32 || to >= nodeIndexLimit || target * nf !== to) break;
          if (t !== element && t !== hidden && name > maxNamed) {
            maxNamed = name;
            if (t === internal && name > maxInternal) maxInternal = name;
          } else if (t === internal && name > maxInternal) {
            maxInternal = name;
          }
          types[e] = t;
          names[e] = name;
          targets[e] = target;
          e++;
          j += ef;
        }
        ordinal = e;
        maxNamedName = maxNamed;
        maxInternalName = maxInternal;
        if (j >= count) break;
      }
      one(values[j], at);
      j++;
    }
  }

  /** One number, checked on its own: finishes an edge split across calls and names a bad value. */
  function one(v: number, at: number): void {
    const e = ordinal;
    if (e >= meta.edgeCount) throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `edges has more than edge_count (${meta.edgeCount}) edges (near byte ${at})`);
    switch (kinds[field]) {
      case EDGE_TYPE:
        if (v >= meta.edgeTypeNames.length) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `edge ${e} has type ${v}, there are ${meta.edgeTypeNames.length} edge types`);
        edgeType[e] = v;
        break;
      case EDGE_NAME:
        if (v > MAX_U32) throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `edge ${e} has name or index ${v}, above 2^32`);
        edgeName[e] = v;
        break;
      case EDGE_TO: {
        const target = Math.floor(v / nf);
        if (target * nf !== v || target >= meta.nodeCount) {
          throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `edge ${e} points to nodes[${v}], which is not the start of one of the ${meta.nodeCount} nodes`);
        }
        edgeTarget[e] = target;
        break;
      }
    }
    if (field + 1 === ef) {
      const t = edgeType[e];
      const name = edgeName[e];
      if (t !== elementType && t !== hiddenType && name > maxNamedName) maxNamedName = name;
      if (t === internalType && name > maxInternalName) maxInternalName = name;
      field = 0;
      ordinal = e + 1;
    } else {
      field++;
    }
  }

  function end(at: number): void {
    if (ordinal !== meta.edgeCount || field !== 0) {
      throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', `edges holds ${ordinal * ef + field} numbers, edge_count ${meta.edgeCount} needs ${meta.edgeCount * ef} (byte ${at})`);
    }
  }

  return {
    store,
    end,
    internalType,
    get maxInternalName() {
      return maxInternalName;
    },
    checkNames(stringCount) {
      if (maxNamedName < stringCount) return;
      let e = 0;
      while (edgeType[e] === elementType || edgeType[e] === hiddenType || edgeName[e] < stringCount) e++;
      throw snapshotError('LW_ERR_SNAPSHOT_INDEX', `edge ${e} has name index ${edgeName[e]}, there are ${stringCount} strings`);
    },
  };
}
