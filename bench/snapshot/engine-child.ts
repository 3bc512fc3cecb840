import fs from 'node:fs';
import { analyzeSnapshotFile } from '../../src/snapshot/analyze-file';
import { aggregateByDominatorTree, type TypeTotal } from './dominator-aggregate';

/**
 * Child entry of `npm run bench:snapshot`: runs ONE analysis engine on one snapshot file in a fresh
 * process, so each engine's peak RSS is its own.
 *
 *   node --max-old-space-size=16000 engine-child.js <engine> <file>
 *
 * Engines, each doing the work behind a "Constructor" view (per-type count, self and retained size,
 * which needs the dominator tree of the whole graph):
 *   leakwatch  analyzeSnapshotFile() of src/snapshot/analyze-file.ts;
 *   memlab     @memlab/heap-analysis getFullHeapFromFile() (parses, then computes dominators and
 *              retained sizes of every node), then per-type totals from its dominator tree;
 *   devtools   heap-snapshot-toolkit parse() (Chrome DevTools' heap snapshot worker code), then
 *              aggregatesWithFilter({}), the call behind DevTools' Summary/Constructor view;
 *   jsonparse  JSON.parse of the whole file: the naive baseline, which cannot hold large files.
 * (`leakwatch-cli`, the `leakwatch analyze` bin in its own process, is run by cli-engine.ts.)
 *
 * Prints one JSON line (EngineResult) on stdout as its last line. An engine error is reported in
 * that line (exit code 0); a crash or out-of-memory kill is left for the parent to report.
 */

export const ENGINES = ['leakwatch', 'leakwatch-cli', 'memlab', 'devtools', 'jsonparse'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface EngineResult {
  engine: EngineName;
  ok: boolean;
  /** Why the engine failed (ok false). */
  error?: string;
  /** From the start of the engine's work (libraries already loaded) to its result. */
  wallMs: number;
  /** process.resourceUsage().maxRSS at the end, bytes. */
  peakRssBytes: number;
  nodeCount: number;
  edgeCount: number;
  /** The five largest types by retained size. */
  top: Array<{ type: string; retainedSize: number }>;
  /** Phase times (ms) where the engine reports them. */
  phases?: Record<string, number>;
}

interface EngineOutput {
  nodeCount: number;
  edgeCount: number;
  types: Array<{ type: string; retainedSize: number }>;
  phases?: Record<string, number>;
}

/** Loads an engine's libraries (not timed) and returns the timed analysis. */
type EngineLoader = () => Promise<(file: string) => Promise<EngineOutput>>;

async function loadLeakwatch(): Promise<(file: string) => Promise<EngineOutput>> {
  return async (file) => {
    const analysis = await analyzeSnapshotFile(file);
    const { loadMs, dominatorsMs, aggregateMs } = analysis.timings;
    return { nodeCount: analysis.nodeCount, edgeCount: analysis.edgeCount, types: analysis.types, phases: { loadMs, dominatorsMs, aggregateMs } };
  };
}

/** The parts of memlab's heap we read; the typed arrays are its internal dominator results. */
interface MemlabHeap {
  nodes: { length: number; get(index: number): { retainedSize: number; name: string } };
  edges: { length: number };
  snapshot: { nodes: ArrayLike<number>; strings: string[] };
  _nodeFieldsCount: number;
  _nodeTypeOffset: number;
  _nodeNameOffset: number;
  _nodeSelfSizeOffset: number;
  _nodeTypes: string[];
  _nodeIdx2DominatorNodeIdx: Uint32Array;
  _nodeIdxHasDominatorNode: Uint8Array;
  _nodeIdx2RetainedSize: BigUint64Array;
}

/** DevTools' class names for the node types that are not grouped by constructor name. */
function devtoolsClassName(type: string, name: string): string {
  switch (type) {
    case 'hidden':
      return '(system)';
    case 'object':
    case 'native':
      return name;
    case 'code':
      return '(compiled code)';
    case 'closure':
      return 'Function';
    case 'regexp':
      return 'RegExp';
    default:
      return `(${type})`;
  }
}

async function loadMemlab(): Promise<(file: string) => Promise<EngineOutput>> {
  const core = require('@memlab/core') as { config: { muteConsole: boolean } };
  core.config.muteConsole = true;
  const { getFullHeapFromFile } = require('@memlab/heap-analysis') as { getFullHeapFromFile: (file: string) => Promise<unknown> };
  return (file) => runMemlab(getFullHeapFromFile, file);
}

async function runMemlab(getFullHeapFromFile: (file: string) => Promise<unknown>, file: string): Promise<EngineOutput> {
  const heap = (await getFullHeapFromFile(file)) as MemlabHeap;
  const nodeCount = heap.nodes.length;
  // The public accessor, as a memlab user reads retained sizes (they are already computed).
  let touched = 0;
  for (let i = 0; i < Math.min(nodeCount, 5); i++) touched += heap.nodes.get(i).retainedSize;
  if (!(touched >= 0)) throw new Error('memlab returned no retained sizes');

  // Per-type totals from memlab's dominator tree, on its raw arrays: the cheapest way to do the
  // grouping, so memlab is not charged for object wrappers.
  const raw = heap.snapshot.nodes;
  const fields = heap._nodeFieldsCount;
  const typeIds = new Map<string, number>();
  const typeNames: string[] = [];
  const typeOf = new Uint32Array(nodeCount);
  const stringType = new Map<string, number>();
  for (let i = 0; i < nodeCount; i++) {
    const nodeType = heap._nodeTypes[raw[i * fields + heap._nodeTypeOffset]!]!;
    const name = heap.snapshot.strings[raw[i * fields + heap._nodeNameOffset]!]!;
    const key = nodeType === 'object' || nodeType === 'native' ? name : nodeType;
    let id = stringType.get(key);
    if (id === undefined) {
      const className = devtoolsClassName(nodeType, name);
      id = typeIds.get(className);
      if (id === undefined) {
        id = typeNames.length;
        typeNames.push(className);
        typeIds.set(className, id);
      }
      stringType.set(key, id);
    }
    typeOf[i] = id;
  }
  const rows = aggregateByDominatorTree({
    nodeCount,
    root: 0,
    idom: heap._nodeIdx2DominatorNodeIdx,
    reachable: (i) => heap._nodeIdxHasDominatorNode[i] === 1,
    typeOf,
    typeNames,
    selfSize: (i) => raw[i * fields + heap._nodeSelfSizeOffset]!,
    retainedSize: (i) => Number(heap._nodeIdx2RetainedSize[i]!),
  });
  return { nodeCount, edgeCount: heap.edges.length, types: rows };
}

interface DevtoolsAggregate {
  count: number;
  self: number;
  maxRet: number;
  name: string;
}

interface DevtoolsSnapshot {
  nodeCount: number;
  containmentEdges: { length: number };
  edgeFieldsCount: number;
  aggregatesWithFilter(filter: object): Record<string, DevtoolsAggregate>;
}

async function loadDevtools(): Promise<(file: string) => Promise<EngineOutput>> {
  // An ES module package: import() from this CommonJS build.
  const toolkit = (await import('heap-snapshot-toolkit')) as unknown as {
    parse: (stream: fs.ReadStream) => Promise<unknown>;
  };
  return async (file) => {
    const snapshot = (await toolkit.parse(fs.createReadStream(file, 'utf8'))) as DevtoolsSnapshot;
    // An empty filter is "all objects": buildAggregates + calculateClassesRetainedSize.
    const aggregates = Object.values(snapshot.aggregatesWithFilter({}));
    const types = aggregates.map((a) => ({ type: a.name, retainedSize: a.maxRet })).sort((a, b) => b.retainedSize - a.retainedSize);
    return { nodeCount: snapshot.nodeCount, edgeCount: snapshot.containmentEdges.length / snapshot.edgeFieldsCount, types };
  };
}

async function loadJsonParse(): Promise<(file: string) => Promise<EngineOutput>> {
  return async (file) => {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { snapshot: { node_count: number; edge_count: number } };
    return { nodeCount: parsed.snapshot.node_count, edgeCount: parsed.snapshot.edge_count, types: [] };
  };
}

const LOADERS: Record<Exclude<EngineName, 'leakwatch-cli'>, EngineLoader> = {
  leakwatch: loadLeakwatch,
  memlab: loadMemlab,
  devtools: loadDevtools,
  jsonparse: loadJsonParse,
};

function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

async function main(): Promise<void> {
  const [engine, file] = process.argv.slice(2) as [EngineName | undefined, string | undefined];
  if (!engine || !file || !Object.hasOwn(LOADERS, engine)) {
    throw new Error(`usage: engine-child <${Object.keys(LOADERS).join('|')}> <file.heapsnapshot>`);
  }
  let started = performance.now();
  let result: EngineResult;
  try {
    const analyse = await LOADERS[engine as keyof typeof LOADERS]();
    started = performance.now();
    const output = await analyse(file);
    result = {
      engine,
      ok: true,
      wallMs: performance.now() - started,
      peakRssBytes: peakRssBytes(),
      nodeCount: output.nodeCount,
      edgeCount: output.edgeCount,
      top: output.types.slice(0, 5).map((t: TypeTotal | { type: string; retainedSize: number }) => ({ type: t.type, retainedSize: t.retainedSize })),
      ...(output.phases ? { phases: output.phases } : {}),
    };
  } catch (err) {
    result = {
      engine,
      ok: false,
      error: (err as Error).message.split('\n')[0]!,
      wallMs: performance.now() - started,
      peakRssBytes: peakRssBytes(),
      nodeCount: 0,
      edgeCount: 0,
      top: [],
    };
  }
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().then(
    // Some engines leave handles open (worker ports, streams); the result is out, so leave.
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`bench/snapshot/engine-child: ${err.message}\n`);
      process.exit(1);
    },
  );
}
