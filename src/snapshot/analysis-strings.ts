import type { GraphArrays } from './heap-graph';
import type { SnapshotMeta } from './snapshot-meta';
import type { KeepString } from './strings-reader';

export const KEEP_ALL: KeepString = () => 2;

/**
 * The strings the type analysis needs, chosen when the strings array starts (V8 writes it last,
 * after nodes and edges): names of `object` and `native` nodes are class names; `internal` edge
 * names may be WeakMap ephemeron names (kept only if they look like one). Everything else is
 * skipped. Two bit sets over string indexes, up to the largest index either kind uses.
 */
export function analysisStrings(
  meta: SnapshotMeta,
  arrays: Pick<GraphArrays, 'nodeType' | 'nodeName' | 'edgeType' | 'edgeName'>,
  maxNodeName: number,
  maxInternalEdgeName: number,
  internalEdgeType: number,
): KeepString {
  const { nodeType, nodeName, edgeType, edgeName } = arrays;
  const objectType = meta.nodeTypeNames.indexOf('object');
  const nativeType = meta.nodeTypeNames.indexOf('native');
  const max = Math.max(0, maxNodeName, maxInternalEdgeName);
  const names = new Uint8Array((max >>> 3) + 1);
  const internal = new Uint8Array((max >>> 3) + 1);
  for (let i = 0; i < meta.nodeCount; i++) {
    const t = nodeType[i];
    if (t === objectType || t === nativeType) names[nodeName[i] >>> 3] |= 1 << (nodeName[i] & 7);
  }
  for (let e = 0; e < meta.edgeCount; e++) {
    if (edgeType[e] === internalEdgeType) internal[edgeName[e] >>> 3] |= 1 << (edgeName[e] & 7);
  }
  return (index) => {
    if (index > max) return 0;
    const bit = 1 << (index & 7);
    return (names[index >>> 3] & bit) !== 0 ? 2 : (internal[index >>> 3] & bit) !== 0 ? 1 : 0;
  };
}
