import type { SuspectSummary } from '../../shared/suspect-data';
import type { HeapGraph } from '../heap-graph';
import { loadSnapshotFile } from '../load-snapshot';
import { digestContainers, type ContainerDigest, type DigestOptions } from './container-digest';
import { createContainerReader } from './container-kinds';
import { findGrowthSuspects, type GrowthOptions, type GrowthSuspect } from './growth-suspects';
import { computeLeakShares } from './leak-share';
import { createPathText } from './path-text';
import { sampleNewMembers, suspectPaths, type RetainerPaths } from './retainer-paths';
import { createRetainerTree } from './retainer-tree';

/**
 * Growth suspects of one process: the entry of src/snapshot/suspects. The collector keeps one
 * digest per analysed snapshot (container-digest.ts, encodeDigest); after each new snapshot it
 * loads that one graph, digests it, and ranks the suspects over the stored digests and the new
 * one (`suspectsOfGraph`). Only one graph is ever in memory; the earlier snapshots are digests.
 * See docs/suspects.md.
 */
export interface SuspectOptions extends GrowthOptions {
  /** Growth of the heap floor (heap used after major GCs) over the same window, in bytes. */
  floorGrowthBytes?: number;
  /** New members of each suspect whose paths are grouped (default 200). */
  sampleSize?: number;
  /** Suspects whose share of the growth (newBytes) is below this are dropped (default 0). */
  minNewBytes?: number;
}

/** One ranked suspect: the stored summary (src/shared/suspect-data.ts, documented there), kind typed. */
export type Suspect = SuspectSummary & GrowthSuspect;

/**
 * Ranks the suspects of `digests` (in the order taken; the last one is `graph`'s) by LeakShare,
 * largest first, with their retainer paths read on `graph` (edges present, all strings kept).
 */
export function rankSuspects(graph: HeapGraph, digests: readonly ContainerDigest[], options: SuspectOptions = {}): Suspect[] {
  const growing = findGrowthSuspects(digests, options);
  if (growing.length === 0) return [];
  const ordinalOf = new Map(growing.map((s) => [s.id, -1]));
  for (let node = 0; node < graph.nodeCount; node++) if (ordinalOf.has(graph.nodeId[node])) ordinalOf.set(graph.nodeId[node], node);
  const present = growing.filter((s) => ordinalOf.get(s.id)! >= 0);
  const ordinals = present.map((s) => ordinalOf.get(s.id)!);
  const newSinceId = present.length > 0 ? present[0].newSinceId : 0;
  const shares = computeLeakShares(graph, ordinals, newSinceId);
  const reader = createContainerReader(graph);
  const tree = createRetainerTree(graph);
  const text = createPathText(graph, reader);
  const suspects: Suspect[] = present.map((s, j) => {
    const hours = (s.takenAt[s.takenAt.length - 1] - s.takenAt[0]) / 3_600_000;
    const newBytes = shares.newShare[j];
    const floor = options.floorGrowthBytes;
    const label = text.label(ordinals[j]);
    const paths = suspectPaths(graph, tree, text, ordinals[j], sampleNewMembers(graph, reader, ordinals[j], newSinceId, options.sampleSize ?? 200));
    return {
      ...s,
      label,
      leakShareBytes: shares.leakShare[j],
      newBytes,
      bytesPerHour: hours > 0 ? newBytes / hours : 0,
      floorShare: floor !== undefined && floor > 0 ? newBytes / floor : null,
      paths,
      // Structured, so the collector can map them through the scripts' source maps.
      locations: text.locationsIn([label, paths.container, ...paths.members.map((m) => m.path)]),
    };
  });
  return suspects
    .filter((s) => s.newBytes >= (options.minNewBytes ?? 0))
    .sort((a, b) => b.leakShareBytes - a.leakShareBytes || b.growth - a.growth || a.id - b.id);
}

/** Digests the newest graph and ranks the suspects over the earlier digests and it. */
export function suspectsOfGraph(graph: HeapGraph, earlier: readonly ContainerDigest[], digestOptions: DigestOptions, options: SuspectOptions = {}): { digest: ContainerDigest; suspects: Suspect[] } {
  const digest = digestContainers(graph, digestOptions);
  return { digest, suspects: rankSuspects(graph, [...earlier, digest], options) };
}

/** The same from a file: loads it with every string and the closures' locations. */
export function suspectsOfFile(path: string, earlier: readonly ContainerDigest[], digestOptions: DigestOptions, options: SuspectOptions = {}): { digest: ContainerDigest; suspects: Suspect[] } {
  const graph = loadSnapshotFile(path, { keepStrings: 'all', keepLocations: true });
  return suspectsOfGraph(graph, earlier, digestOptions, options);
}

export { decodeDigest, digestContainers, encodeDigest, type ContainerDigest } from './container-digest';
export { CONTAINER_KINDS, type ContainerKind } from './container-kinds';
export { findGrowthSuspects, keepsGrowing, type GrowthSuspect } from './growth-suspects';
export type { PathGroup, RetainerPaths } from './retainer-paths';
