import fs from 'node:fs';
import { Readable } from 'node:stream';
import { createTinySnapshot } from './tiny-snapshot';

/**
 * Chrome DevTools' own heap snapshot code (devtools-frontend's HeapSnapshot.ts, as packaged by
 * heap-snapshot-toolkit) run on a snapshot, as an independent reference for dominators, retained
 * sizes and the Constructor grouping.
 *
 * One presentation step of DevTools is always switched off, because leakwatch deliberately does
 * not do it (src/snapshot/type-names.ts): `inferInterfaceDefinitions`, which renames plain
 * `Object`s after their property names (`{a, b}`). Another can be switched off on request
 * (`ownedSizes: false`): `calculateShallowSizes`, which moves the self size of `array`/`hidden`
 * nodes that have a single owner into that owner and leaves them at 0. leakwatch does the same by
 * default and skips it with computeDominators(graph, { attributeOwnedSizes: false }); comparing
 * both ways checks the dominator tree on V8's raw sizes as well as the attribution.
 * Everything the dominator tree depends on (essential edges, the Lengauer-Tarjan pass, orphan
 * handling, retained sizes, the per-class "not nested in the same class" sum) runs unchanged.
 */

export interface DevToolsTypeRow {
  count: number;
  selfSize: number;
  retainedSize: number;
  /** How many DevTools class keys were merged into this name (objects are split by constructor location). */
  classKeys: number;
}

export interface DevToolsReference {
  nodeCount: number;
  /** Immediate dominator ordinal per node ordinal (the root's is itself). */
  idom: Uint32Array;
  retainedSize: Float64Array;
  /** DevTools Constructor rows merged by class name, with DevTools' own names (e.g. `Function`). */
  types: Map<string, DevToolsTypeRow>;
}

interface ToolkitSnapshot {
  nodeCount: number;
  dominatorsTree: Uint32Array;
  retainedSizes: Float64Array;
  aggregatesWithFilter(filter: object): Record<string, { count: number; self: number; maxRet: number; name: string }>;
}

export interface SnapshotPrototype {
  calculateShallowSizes(): void;
  inferInterfaceDefinitions(): unknown[];
}

export type Toolkit = { parse(stream: Readable): Promise<ToolkitSnapshot> };

export async function loadToolkit(): Promise<Toolkit> {
  // heap-snapshot-toolkit is an ES module; import() is the way in from CommonJS.
  return (await import('heap-snapshot-toolkit')) as unknown as Toolkit;
}

/** JSHeapSnapshot is not exported: reach its prototype through a parsed one-node snapshot. */
export async function getSnapshotPrototype(toolkit: Toolkit): Promise<SnapshotPrototype> {
  const probe = await toolkit.parse(Readable.from([createTinySnapshot().toJson()]));
  return Object.getPrototypeOf(probe) as SnapshotPrototype;
}

/** Runs DevTools on snapshot text or a snapshot file. */
export async function analyzeWithDevTools(source: { text: string } | { file: string }, options: { ownedSizes?: boolean } = {}): Promise<DevToolsReference> {
  const toolkit = await loadToolkit();
  const proto = await getSnapshotPrototype(toolkit);
  const { calculateShallowSizes, inferInterfaceDefinitions } = proto;
  if (options.ownedSizes === false) proto.calculateShallowSizes = () => {};
  proto.inferInterfaceDefinitions = () => [];
  let snapshot: ToolkitSnapshot;
  try {
    const stream = 'text' in source ? Readable.from([source.text]) : fs.createReadStream(source.file, 'utf8');
    snapshot = await toolkit.parse(stream);
  } finally {
    proto.calculateShallowSizes = calculateShallowSizes;
    proto.inferInterfaceDefinitions = inferInterfaceDefinitions;
  }
  const types = new Map<string, DevToolsTypeRow>();
  for (const aggregate of Object.values(snapshot.aggregatesWithFilter({}))) {
    const row = types.get(aggregate.name) ?? { count: 0, selfSize: 0, retainedSize: 0, classKeys: 0 };
    row.count += aggregate.count;
    row.selfSize += aggregate.self;
    row.retainedSize += aggregate.maxRet;
    row.classKeys++;
    types.set(aggregate.name, row);
  }
  return { nodeCount: snapshot.nodeCount, idom: snapshot.dominatorsTree, retainedSize: snapshot.retainedSizes, types };
}

/**
 * leakwatch's Constructor name for a DevTools row name. Both name functions `Function` and
 * regexps `RegExp` (HeapSnapshot.ts calculateObjectNames). DevTools also prefixes `Detached ` to
 * native nodes the embedder marked detached and to native nodes below them (propagateDOMState, a
 * browser DOM feature that Node's own binding objects happen to trigger); leakwatch keeps V8's
 * name, so such rows fold into the plain name.
 */
export function leakwatchTypeName(devtoolsName: string): string {
  if (devtoolsName.startsWith('Detached ')) return devtoolsName.slice('Detached '.length);
  return devtoolsName;
}

/** DevTools rows renamed to leakwatch's names (rows that fold together are summed). */
export function devtoolsRowsByLeakwatchName(types: Map<string, DevToolsTypeRow>): Map<string, DevToolsTypeRow & { devtoolsNames: string[] }> {
  const out = new Map<string, DevToolsTypeRow & { devtoolsNames: string[] }>();
  for (const [name, row] of types) {
    const key = leakwatchTypeName(name);
    const merged = out.get(key) ?? { count: 0, selfSize: 0, retainedSize: 0, classKeys: 0, devtoolsNames: [] };
    merged.count += row.count;
    merged.selfSize += row.selfSize;
    merged.retainedSize += row.retainedSize;
    merged.classKeys += row.classKeys;
    merged.devtoolsNames.push(name);
    out.set(key, merged);
  }
  return out;
}
