import type { Envelope } from './envelope';

/**
 * `lineage` (probe -> collector, once per boot, soon after start): what was running. An additive
 * message type of wire protocol version 1, seq'd and acked like a batch. Fields the probe could
 * not find are '' (no package.json, no git checkout, no lock file), never invented.
 */

/** Most dependencies one message carries; the rest are counted in `omitted`. */
export const MAX_LINEAGE_DEPENDENCIES = 5000;
/** npm's own limit on a package name. */
export const MAX_DEPENDENCY_NAME = 214;
/** A version, or a direct dependency's range as package.json says it (git URLs can be long). */
export const MAX_DEPENDENCY_VERSION = 256;
/** Notes: what the probe could not read or does not support (at most this many, each short). */
export const MAX_LINEAGE_NOTES = 8;

/** Which lock file the resolved versions come from. */
export type LockKind = 'package-lock' | 'yarn' | 'pnpm' | '';

export interface LineageDependency {
  name: string;
  /** The resolved version from the lock file; '' when the lock does not list it. */
  version: string;
  /** Named in the app's package.json (dependencies, devDependencies, optional or peer). */
  direct: boolean;
  /** A direct dependency's range as package.json says it; '' for the others. */
  range: string;
}

export interface LineageMessage extends Envelope {
  type: 'lineage';
  /** When the probe finished reading (epoch ms). */
  at: number;
  appName: string;
  appVersion: string;
  /** The git commit of the checkout the app runs from (hex), and the branch when HEAD names one. */
  gitCommit: string;
  gitBranch: string;
  lockKind: LockKind;
  /** sha256 (lowercase hex) of the whole lock file; '' without one. */
  lockSha256: string;
  nodeVersion: string;
  v8Version: string;
  probeVersion: string;
  /** Direct ones first, then by name and version. */
  dependencies: LineageDependency[];
  /** Dependencies left out to stay within the bounds above (or the frame size). */
  omitted: number;
  notes: string[];
}
