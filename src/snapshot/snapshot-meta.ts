import { snapshotError } from './snapshot-error';

/** Largest `snapshot` header accepted: V8 writes well under 2 KiB. */
export const MAX_META_BYTES = 1024 * 1024;

/** The parts of `snapshot.meta` the loader relies on, with field offsets resolved. */
export interface SnapshotMeta {
  nodeCount: number;
  edgeCount: number;
  nodeFieldCount: number;
  edgeFieldCount: number;
  nodeTypeNames: string[];
  edgeTypeNames: string[];
  /** Offsets of the node fields we read, within one node's fields. */
  nodeTypeOffset: number;
  nodeNameOffset: number;
  nodeIdOffset: number;
  nodeSelfSizeOffset: number;
  nodeEdgeCountOffset: number;
  edgeTypeOffset: number;
  edgeNameOffset: number;
  edgeToNodeOffset: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 64 || !value.every((v) => typeof v === 'string')) {
    throw snapshotError('LW_ERR_SNAPSHOT_META', `${what} must be a non-empty list of names`);
  }
  return value as string[];
}

function offsetOf(fields: string[], name: string, what: string): number {
  const i = fields.indexOf(name);
  if (i < 0) throw snapshotError('LW_ERR_SNAPSHOT_META', `${what} has no "${name}" field`);
  return i;
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 0xffff_fffe) {
    throw snapshotError('LW_ERR_SNAPSHOT_META', `snapshot.${what} must be an integer between 0 and 4294967294`);
  }
  return value;
}

/**
 * Validates the `snapshot` header (V8's HeapSnapshotJSONSerializer::SerializeSnapshot): node and
 * edge field lists, the type enums (the first entry of node_types / edge_types is the list of
 * type names), and the declared counts, which must fit the input: every number takes at least two
 * bytes ("0,"), so a header claiming more than that is rejected (TRUNCATED) before anything is
 * allocated.
 */
export function parseSnapshotMeta(text: string, inputBytes: number): SnapshotMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw snapshotError('LW_ERR_SNAPSHOT_SYNTAX', 'the snapshot header is not valid JSON');
  }
  if (!isRecord(raw) || !isRecord(raw.meta)) throw snapshotError('LW_ERR_SNAPSHOT_META', 'snapshot.meta is missing');
  const meta = raw.meta;
  const nodeFields = stringList(meta.node_fields, 'meta.node_fields');
  const edgeFields = stringList(meta.edge_fields, 'meta.edge_fields');
  if (!Array.isArray(meta.node_types) || !Array.isArray(meta.edge_types)) {
    throw snapshotError('LW_ERR_SNAPSHOT_META', 'meta.node_types and meta.edge_types must be lists');
  }
  const nodeTypeOffset = offsetOf(nodeFields, 'type', 'meta.node_fields');
  const edgeTypeOffset = offsetOf(edgeFields, 'type', 'meta.edge_fields');
  const nodeTypeNames = stringList(meta.node_types[nodeTypeOffset], 'meta.node_types[type]');
  const edgeTypeNames = stringList(meta.edge_types[edgeTypeOffset], 'meta.edge_types[type]');
  if (nodeTypeNames.length > 255 || edgeTypeNames.length > 255) throw snapshotError('LW_ERR_SNAPSHOT_META', 'too many node or edge types');
  const result: SnapshotMeta = {
    nodeCount: count(raw.node_count, 'node_count'),
    edgeCount: count(raw.edge_count, 'edge_count'),
    nodeFieldCount: nodeFields.length,
    edgeFieldCount: edgeFields.length,
    nodeTypeNames,
    edgeTypeNames,
    nodeTypeOffset,
    nodeNameOffset: offsetOf(nodeFields, 'name', 'meta.node_fields'),
    nodeIdOffset: offsetOf(nodeFields, 'id', 'meta.node_fields'),
    nodeSelfSizeOffset: offsetOf(nodeFields, 'self_size', 'meta.node_fields'),
    nodeEdgeCountOffset: offsetOf(nodeFields, 'edge_count', 'meta.node_fields'),
    edgeTypeOffset,
    edgeNameOffset: offsetOf(edgeFields, 'name_or_index', 'meta.edge_fields'),
    edgeToNodeOffset: offsetOf(edgeFields, 'to_node', 'meta.edge_fields'),
  };
  if (result.nodeCount === 0) throw snapshotError('LW_ERR_SNAPSHOT_COUNTS', 'snapshot.node_count is 0: a snapshot has at least its root node');
  const minBytes = 2 * (result.nodeCount * result.nodeFieldCount + result.edgeCount * result.edgeFieldCount);
  if (minBytes > inputBytes) {
    // Cut short, or a header whose counts are wrong: either way nothing is allocated for them.
    throw snapshotError(
      'LW_ERR_SNAPSHOT_TRUNCATED',
      `the header declares ${result.nodeCount} nodes and ${result.edgeCount} edges, more than a ${inputBytes}-byte file can hold (file cut short, or wrong counts)`,
    );
  }
  return result;
}
