import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Larger package.json files are not read: no real manifest is that big, and the probe stays bounded. */
const MAX_MANIFEST_BYTES = 1024 * 1024;
/** How many directories up the search goes (deep monorepos stay far below). */
export const MAX_UPWARD_STEPS = 32;

export interface AppManifest {
  dir: string;
  name: string;
  version: string;
  /** Direct dependencies and their ranges (dependencies, devDependencies, optional, peer). */
  direct: Map<string, string>;
}

/**
 * Where the app lives: the entry script's directory, unless the script is inside node_modules
 * (npm, npx, tsx's own CLI): then the working directory, which is where `npm start` runs the app.
 */
export function appSearchStart(script: string | undefined, cwd: string): string {
  if (!script) return cwd;
  const resolved = path.resolve(cwd, script);
  return resolved.split(path.sep).includes('node_modules') ? cwd : path.dirname(resolved);
}

/** `dir`, its parent, … up to the root or MAX_UPWARD_STEPS. */
export function* upward(dir: string): Generator<string> {
  let current = path.resolve(dir);
  for (let i = 0; i < MAX_UPWARD_STEPS; i++) {
    yield current;
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function ranges(value: unknown, into: Map<string, string>): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  for (const [name, range] of Object.entries(value as Record<string, unknown>)) {
    if (typeof range === 'string' && !into.has(name)) into.set(name, range);
  }
}

/** The nearest package.json at or above `start`; null when there is none (or it is not JSON). */
export async function readNearestManifest(start: string): Promise<AppManifest | null> {
  for (const dir of upward(start)) {
    const file = path.join(dir, 'package.json');
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) continue;
      size = info.size;
    } catch {
      continue;
    }
    if (size > MAX_MANIFEST_BYTES) throw new Error(`${file} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const direct = new Map<string, string>();
    for (const key of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) ranges(parsed[key], direct);
    return {
      dir,
      name: typeof parsed.name === 'string' ? parsed.name : '',
      version: typeof parsed.version === 'string' ? parsed.version : '',
      direct,
    };
  }
  return null;
}
