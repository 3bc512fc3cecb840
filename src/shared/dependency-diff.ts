import type { BootLineage } from './lineage-data';

/** One dependency's change between two runs; versions are every version the run's lock files resolved for it. */
export interface DependencyChange {
  name: string;
  /** Named in the app's package.json in either run. */
  direct: boolean;
  from: string[];
  to: string[];
}

export interface DependencyDiff {
  added: DependencyChange[];
  removed: DependencyChange[];
  upgraded: DependencyChange[];
  downgraded: DependencyChange[];
  /** Versions differ but neither run's is clearly higher (several copies, tags, git URLs). */
  changed: DependencyChange[];
  /** Dependencies present in both runs with the same versions. */
  unchanged: number;
}

/** A run's dependencies over all its processes: name -> sorted versions, and whether any names it directly. */
function dependencyMap(boots: readonly BootLineage[]): Map<string, { versions: string[]; direct: boolean }> {
  const out = new Map<string, { versions: Set<string>; direct: boolean }>();
  for (const boot of boots) {
    for (const dep of boot.dependencies) {
      let entry = out.get(dep.name);
      if (!entry) out.set(dep.name, (entry = { versions: new Set(), direct: false }));
      if (dep.version) entry.versions.add(dep.version);
      entry.direct ||= dep.direct;
    }
  }
  return new Map([...out].map(([name, e]) => [name, { versions: [...e.versions].sort(compareVersions), direct: e.direct }]));
}

function parts(version: string): { nums: number[]; pre: string } | null {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(version.trim());
  if (!match) return null;
  return { nums: [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)], pre: match[4] ?? '' };
}

/** Semver order (major, minor, patch, a pre-release below its release); non-semver text sorts by text, after. */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < 3; i++) if (pa.nums[i] !== pb.nums[i]) return pa.nums[i] - pb.nums[i];
  if (pa.pre === pb.pre) return 0;
  if (!pa.pre) return 1;
  if (!pb.pre) return -1;
  return pa.pre < pb.pre ? -1 : 1;
}

/**
 * What changed in the dependencies from run `a` to run `b`: added, removed, upgraded or
 * downgraded (the highest semver version moved up or down), changed otherwise. By name, so a
 * package resolved twice (two copies in the tree) is one entry with both versions.
 */
export function diffDependencies(a: readonly BootLineage[], b: readonly BootLineage[]): DependencyDiff {
  const before = dependencyMap(a);
  const after = dependencyMap(b);
  const diff: DependencyDiff = { added: [], removed: [], upgraded: [], downgraded: [], changed: [], unchanged: 0 };
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const name of names) {
    const x = before.get(name);
    const y = after.get(name);
    const change: DependencyChange = { name, direct: (x?.direct ?? false) || (y?.direct ?? false), from: x?.versions ?? [], to: y?.versions ?? [] };
    if (!x) diff.added.push(change);
    else if (!y) diff.removed.push(change);
    else if (x.versions.join('\n') === y.versions.join('\n')) diff.unchanged++;
    else {
      const top = compareVersions(x.versions[x.versions.length - 1] ?? '', y.versions[y.versions.length - 1] ?? '');
      const comparable = x.versions.every((v) => parts(v)) && y.versions.every((v) => parts(v)) && x.versions.length > 0 && y.versions.length > 0;
      if (comparable && top < 0) diff.upgraded.push(change);
      else if (comparable && top > 0) diff.downgraded.push(change);
      else diff.changed.push(change);
    }
  }
  return diff;
}

/** What a run was, in one line per field: the distinct values over its processes ('' left out). */
export interface RunIdentity {
  appName: string[];
  appVersion: string[];
  gitCommit: string[];
  gitBranch: string[];
  lockSha256: string[];
  nodeVersion: string[];
  v8Version: string[];
  probeVersion: string[];
}

export function runIdentity(boots: readonly BootLineage[]): RunIdentity {
  const distinct = (pick: (b: BootLineage) => string) => [...new Set(boots.map(pick).filter((v) => v !== ''))];
  return {
    appName: distinct((b) => b.appName),
    appVersion: distinct((b) => b.appVersion),
    gitCommit: distinct((b) => b.gitCommit),
    gitBranch: distinct((b) => b.gitBranch),
    lockSha256: distinct((b) => b.lockSha256),
    nodeVersion: distinct((b) => b.nodeVersion),
    v8Version: distinct((b) => b.v8Version),
    probeVersion: distinct((b) => b.probeVersion),
  };
}

/** The identity fields whose values differ between the runs. */
export function identityChanges(a: RunIdentity, b: RunIdentity): Array<{ field: keyof RunIdentity; from: string[]; to: string[] }> {
  const out: Array<{ field: keyof RunIdentity; from: string[]; to: string[] }> = [];
  for (const field of Object.keys(a) as (keyof RunIdentity)[]) {
    if (a[field].join('\n') !== b[field].join('\n')) out.push({ field, from: a[field], to: b[field] });
  }
  return out;
}
