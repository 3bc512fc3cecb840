import { MAX_ALLOC_FRAMES, MAX_ALLOC_SITES, MAX_ALLOC_STACK, type AllocFrame, type AllocProfileMessage, type AllocSiteSample } from '../protocol/alloc-messages';
import type { Envelope } from '../protocol/envelope';

/**
 * V8's sampling heap profile as the inspector hands it over (`HeapProfiler.getSamplingProfile`,
 * Chrome DevTools Protocol `HeapProfiler.SamplingHeapProfile`): a call tree whose nodes carry
 * the bytes of the sampled objects they allocated that are still alive (`selfSize`, already
 * scaled by V8 from the samples to an estimate of all such bytes), plus one entry per live sample
 * naming its node. Only the fields the probe reads are declared.
 */
export interface V8SamplingCallFrame {
  functionName: string;
  url: string;
  /** 0-based; -1 when V8 has no position (the VM-state nodes such as "(V8 API)"). */
  lineNumber: number;
  columnNumber: number;
}

export interface V8SamplingNode {
  callFrame: V8SamplingCallFrame;
  selfSize: number;
  id: number;
  children: V8SamplingNode[];
}

export interface V8SamplingProfile {
  head: V8SamplingNode;
  samples: { size: number; nodeId: number; ordinal: number }[];
}

/** An `alloc-profile` message without the envelope the send queue adds (seq is known only there). */
export type AllocProfileBody = Omit<AllocProfileMessage, Exclude<keyof Envelope, 'type'>>;

/** The encoded message stays below this (the protocol's frame limit is 1 MiB; half leaves room). */
export const MAX_ALLOC_PROFILE_BYTES = 512 * 1024;
/** `v`, `run`, `boot`, `seq` and their quotes, added after flattening: generously counted. */
const ENVELOPE_ALLOWANCE = 512;
/** The protocol decoder's string bounds for a frame. */
const MAX_FN_CHARS = 1024;
const MAX_URL_CHARS = 4096;

export interface FlattenOptions {
  at: number;
  startedAt: number;
  intervalBytes: number;
  /** Frames kept per site, innermost first (1..MAX_ALLOC_STACK). */
  stackDepth: number;
  /** Bounds, for tests; the protocol's by default. */
  maxSites?: number;
  maxFrames?: number;
  maxBytes?: number;
}

export interface FlattenResult {
  body: AllocProfileBody;
  /** Its JSON text (what the encoded message holds after the envelope), and the tree's size. */
  json: string;
  nodes: number;
}

interface Site {
  stack: number[];
  key: string;
  liveBytes: number;
  samples: number;
}

/**
 * Flattens a sampling heap profile into `alloc-profile` sites. Each node with live samples is a
 * site; its stack is that node and its callers up to (not including) V8's "(root)", innermost
 * first, cut to `stackDepth` frames; nodes whose cut stacks are equal are one site. V8's
 * positions are 0-based and become 1-based (0 when V8 has none). V8 records the *function* that
 * allocated (the node's callFrame is where that function starts), not the statement: the lines
 * say so downstream. The largest `maxSites` sites by live bytes are kept (ties by samples, then
 * by stack, so equal profiles flatten equally), the rest summed in `other`; sites are moved to
 * `other`, smallest first, until the frames table and the encoded message fit their bounds.
 * The tree walk is iterative (V8 samples 128 frames deep; a deep recursion must not be ours).
 */
export function flattenSamplingProfile(profile: V8SamplingProfile, options: FlattenOptions): FlattenResult {
  const depth = Math.max(1, Math.min(MAX_ALLOC_STACK, Math.floor(options.stackDepth)));
  const maxSites = options.maxSites ?? MAX_ALLOC_SITES;
  const maxFrames = options.maxFrames ?? MAX_ALLOC_FRAMES;
  const maxBytes = options.maxBytes ?? MAX_ALLOC_PROFILE_BYTES;

  const samplesOf = new Map<number, number>();
  for (const sample of profile.samples) samplesOf.set(sample.nodeId, (samplesOf.get(sample.nodeId) ?? 0) + 1);

  // Pre-order walk: every node once, with its parent's index, so stacks are read upwards later.
  const nodes: V8SamplingNode[] = [];
  const parents: number[] = [];
  const siteNodes: number[] = [];
  const pending: V8SamplingNode[] = [profile.head];
  const pendingParent: number[] = [-1];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const index = nodes.length;
    nodes.push(node);
    parents.push(pendingParent.pop()!);
    if (node.selfSize > 0 || samplesOf.has(node.id)) siteNodes.push(index);
    const children = node.children ?? [];
    for (let c = children.length - 1; c >= 0; c--) {
      pending.push(children[c]!);
      pendingParent.push(index);
    }
  }

  // Frames interned by what they show; a node's frame is looked up once however many sites share it.
  const frames: AllocFrame[] = [];
  const frameIds = new Map<string, number>();
  const frameOfNode = new Int32Array(nodes.length).fill(-1);
  const frameOf = (index: number): number => {
    let id = frameOfNode[index]!;
    if (id >= 0) return id;
    const frame = toFrame(nodes[index]!.callFrame);
    const key = `${frame.fn}\u0000${frame.url}\u0000${frame.line}\u0000${frame.col}`;
    id = frameIds.get(key) ?? -1;
    if (id < 0) {
      id = frames.length;
      frames.push(frame);
      frameIds.set(key, id);
    }
    frameOfNode[index] = id;
    return id;
  };

  const sites = new Map<string, Site>();
  for (const index of siteNodes) {
    const stack: number[] = [];
    // The head is V8's "(root)": no caller of anyone. Kept only for samples it holds itself.
    for (let at = index; at > 0 && stack.length < depth; at = parents[at]!) stack.push(frameOf(at));
    if (stack.length === 0) stack.push(frameOf(index));
    const key = stack.join(',');
    const liveBytes = Math.max(0, Math.round(nodes[index]!.selfSize));
    const samples = samplesOf.get(nodes[index]!.id) ?? 0;
    const site = sites.get(key);
    if (site) {
      site.liveBytes += liveBytes;
      site.samples += samples;
    } else sites.set(key, { stack, key, liveBytes, samples });
  }

  const ranked = [...sites.values()].sort((a, b) => b.liveBytes - a.liveBytes || b.samples - a.samples || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Greedy in rank order: the largest sites keep their place in the frames table.
  let keep = Math.min(maxSites, ranked.length);
  const used = new Set<number>();
  for (let i = 0; i < keep; i++) {
    const fresh = ranked[i]!.stack.filter((f) => !used.has(f));
    if (used.size + new Set(fresh).size > maxFrames) {
      keep = i;
      break;
    }
    for (const f of fresh) used.add(f);
  }

  for (;;) {
    const body = buildBody(ranked, keep, frames, options, depth);
    const json = JSON.stringify(body);
    const bytes = Buffer.byteLength(json) + ENVELOPE_ALLOWANCE;
    if (bytes <= maxBytes || keep === 0) return { body, json, nodes: nodes.length };
    // Shrink in proportion to the excess (frames are shared, so sizes are not additive): a few
    // encodes at most, and always at least one site fewer.
    keep = Math.min(keep - 1, Math.floor(keep * (maxBytes / bytes) * 0.95));
    keep = Math.max(0, keep);
  }
}

function buildBody(ranked: readonly Site[], keep: number, frames: readonly AllocFrame[], options: FlattenOptions, depth: number): AllocProfileBody {
  // Renumber the kept sites' frames compactly, in order of first use.
  const renumber = new Map<number, number>();
  const table: AllocFrame[] = [];
  const sites: AllocSiteSample[] = [];
  for (let i = 0; i < keep; i++) {
    const site = ranked[i]!;
    const stack = site.stack.map((f) => {
      let id = renumber.get(f);
      if (id === undefined) {
        id = table.length;
        table.push(frames[f]!);
        renumber.set(f, id);
      }
      return id;
    });
    sites.push({ stack, liveBytes: site.liveBytes, samples: site.samples });
  }
  const other = { sites: 0, liveBytes: 0, samples: 0 };
  for (let i = keep; i < ranked.length; i++) {
    other.sites++;
    other.liveBytes += ranked[i]!.liveBytes;
    other.samples += ranked[i]!.samples;
  }
  return {
    type: 'alloc-profile',
    at: options.at,
    startedAt: options.startedAt,
    intervalBytes: options.intervalBytes,
    stackDepth: depth,
    frames: table,
    sites,
    other,
  };
}

/** V8's 0-based position (or -1, none) as the protocol's 1-based one (0, none). */
function toFrame(callFrame: V8SamplingCallFrame): AllocFrame {
  return {
    fn: String(callFrame.functionName ?? '').slice(0, MAX_FN_CHARS),
    url: String(callFrame.url ?? '').slice(0, MAX_URL_CHARS),
    line: Math.max(0, Math.floor(callFrame.lineNumber) + 1) || 0,
    col: Math.max(0, Math.floor(callFrame.columnNumber) + 1) || 0,
  };
}
