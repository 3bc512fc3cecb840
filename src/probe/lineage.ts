import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToApp } from 'node:timers/promises';
import { encodeMessage } from '../protocol/encode';
import { MAX_DEPENDENCY_NAME, MAX_DEPENDENCY_VERSION, MAX_LINEAGE_DEPENDENCIES, MAX_LINEAGE_NOTES, type LineageDependency, type LineageMessage } from '../protocol/lineage-messages';
import { MAX_MESSAGE_BYTES } from '../protocol/messages';
import { readGitHead } from './lineage-git';
import { findLockFile, readLockFile } from './lineage-lock';
import { appSearchStart, readNearestManifest } from './lineage-package';

/** What a `lineage` message carries, before the envelope. */
export type LineageFacts = Omit<LineageMessage, 'v' | 'type' | 'run' | 'boot' | 'seq'>;

/** The message stays well inside the collector's frame limit, envelope and escaping included. */
const MAX_LINEAGE_BYTES = Math.floor(MAX_MESSAGE_BYTES * 0.75);

export interface LineageSource {
  script: string | undefined;
  cwd: string;
  probeVersion: string;
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

/** Direct dependencies first (they are what a user changes), then by name and version. */
function mergeDependencies(direct: Map<string, string>, resolved: Array<{ name: string; version: string }>): LineageDependency[] {
  const out: LineageDependency[] = [];
  const directNames = new Set<string>();
  const versionsOf = new Map<string, string[]>();
  for (const p of resolved) versionsOf.set(p.name, [...(versionsOf.get(p.name) ?? []), p.version]);
  for (const [name, range] of direct) {
    directNames.add(name);
    // The hoisted copy (first in the lock) is the one the app's own require() finds.
    const versions = versionsOf.get(name) ?? [''];
    out.push({ name, version: versions[0], direct: true, range });
  }
  const transitive: LineageDependency[] = [];
  for (const p of resolved) {
    if (directNames.has(p.name) && versionsOf.get(p.name)?.[0] === p.version) continue;
    transitive.push({ name: p.name, version: p.version, direct: false, range: '' });
  }
  transitive.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  out.push(...transitive);
  return out
    .filter((d) => d.name.length > 0)
    .map((d) => ({ ...d, name: clip(d.name, MAX_DEPENDENCY_NAME), version: clip(d.version, MAX_DEPENDENCY_VERSION), range: clip(d.range, MAX_DEPENDENCY_VERSION) }));
}

/**
 * Reads what is running: the nearest package.json from the entry script (or the working
 * directory), the git commit of its checkout, the nearest lock file (hashed, resolved versions),
 * the Node, V8 and probe versions. Asynchronous file reads only; what is missing stays ''.
 */
export async function collectLineage(source: LineageSource): Promise<LineageFacts> {
  const notes: string[] = [];
  // Launchers are reached through links (/usr/bin/npm -> …/node_modules/npm/bin/npm-cli.js): the real path says where the script lives.
  const script = source.script ? await realpath(path.resolve(source.cwd, source.script)).catch(() => source.script) : undefined;
  const start = appSearchStart(script, source.cwd);
  const manifest = await readNearestManifest(start).catch((err: Error) => {
    notes.push(`package.json not read: ${err.message}`);
    return null;
  });
  const appDir = manifest?.dir ?? start;
  const git = await readGitHead(appDir).catch((err: Error) => {
    notes.push(`git commit not read: ${err.message}`);
    return null;
  });
  const lockFile = await findLockFile(appDir);
  const lock = lockFile
    ? await readLockFile(lockFile.file, lockFile.kind, MAX_LINEAGE_DEPENDENCIES).catch((err: Error) => {
        notes.push(`lock file not read: ${err.message}`);
        return null;
      })
    : null;
  if (lock) notes.push(...lock.notes);
  // Merging, sorting and sizing thousands of entries are a few milliseconds each: the app runs between them.
  await yieldToApp();
  let dependencies = mergeDependencies(manifest?.direct ?? new Map(), lock?.packages ?? []);
  let omitted = lock?.omitted ?? 0;
  if (dependencies.length > MAX_LINEAGE_DEPENDENCIES) {
    omitted += dependencies.length - MAX_LINEAGE_DEPENDENCIES;
    dependencies = dependencies.slice(0, MAX_LINEAGE_DEPENDENCIES);
  }
  const facts: LineageFacts = {
    at: Date.now(),
    appName: clip(manifest?.name ?? '', MAX_DEPENDENCY_NAME),
    appVersion: clip(manifest?.version ?? '', MAX_DEPENDENCY_VERSION),
    gitCommit: git?.commit ?? '',
    gitBranch: clip(git?.branch ?? '', 256),
    lockKind: lock?.kind ?? '',
    lockSha256: lock?.sha256 ?? '',
    nodeVersion: process.version,
    v8Version: process.versions.v8,
    probeVersion: source.probeVersion,
    dependencies,
    omitted,
    notes: notes.slice(0, MAX_LINEAGE_NOTES).map((n) => clip(n, 512)),
  };
  await yieldToApp();
  return fitFrame(facts);
}

/**
 * Keeps the dependencies (in order, so direct ones first) that fit MAX_LINEAGE_BYTES: the size of
 * everything but the list, plus each entry's own JSON, measured once each (no re-encoding).
 */
export function fitFrame(facts: LineageFacts): LineageFacts {
  const envelope = { v: 1, type: 'lineage', run: 'r'.repeat(64), boot: 'b'.repeat(64), seq: Number.MAX_SAFE_INTEGER };
  let total = Buffer.byteLength(encodeMessage({ ...envelope, ...facts, dependencies: [], omitted: 1e9 } as LineageMessage));
  let keep = 0;
  for (const dep of facts.dependencies) {
    total += Buffer.byteLength(JSON.stringify(dep)) + 1;
    if (total > MAX_LINEAGE_BYTES) break;
    keep++;
  }
  if (keep === facts.dependencies.length) return facts;
  return { ...facts, dependencies: facts.dependencies.slice(0, keep), omitted: facts.omitted + facts.dependencies.length - keep };
}

export interface LineageReporterOptions extends LineageSource {
  /** Queues the message through the probe's send queue (and flushes). */
  push(facts: LineageFacts): void;
  notice(line: string): void;
}

/**
 * Starts reading the lineage once the app's own start-up has run (a later turn of the event
 * loop), pushes it once, and never throws into the app: a failure is one notice at most.
 */
export function startLineageReporter(options: LineageReporterOptions): void {
  const timer = setTimeout(() => {
    collectLineage(options)
      .then((facts) => options.push(facts))
      .catch((err: Error) => options.notice(`leakwatch probe: lineage not recorded: ${err.message}`));
  }, 50);
  timer.unref();
}
