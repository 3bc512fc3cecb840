import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setImmediate as yieldToApp } from 'node:timers/promises';
import type { LockKind } from '../protocol/lineage-messages';
import { isFile, upward } from './lineage-package';

/** Lock files beyond this are not read (hashing and scanning them would cost the app too much). */
export const MAX_LOCK_BYTES = 64 * 1024 * 1024;
/** Longest line kept while scanning: a lock line is short; a minified file's one line is not scanned. */
const MAX_LINE_CHARS = 64 * 1024;

const LOCK_FILES: ReadonlyArray<readonly [string, Exclude<LockKind, ''>]> = [
  ['package-lock.json', 'package-lock'],
  ['npm-shrinkwrap.json', 'package-lock'],
  ['yarn.lock', 'yarn'],
  ['pnpm-lock.yaml', 'pnpm'],
];

export interface LockSummary {
  kind: Exclude<LockKind, ''>;
  file: string;
  sha256: string;
  /** Resolved packages (name, version), each pair once, at most `maxPackages`. */
  packages: Array<{ name: string; version: string }>;
  omitted: number;
  notes: string[];
}

/** The nearest lock file at or above `start` (a workspace's lock sits at its root). */
export async function findLockFile(start: string): Promise<{ file: string; kind: Exclude<LockKind, ''> } | null> {
  for (const dir of upward(start)) {
    for (const [name, kind] of LOCK_FILES) {
      const file = path.join(dir, name);
      if (await isFile(file)) return { file, kind };
    }
  }
  return null;
}

/** One line scanner per format; each sees every line once, in order. */
type LineScanner = { line(text: string): void; finish(): string[] };

/**
 * package-lock.json v2/v3 as npm writes it (two-space indentation): the `packages` map's keys
 * `node_modules/a/node_modules/b` and their `version`. Scanning lines instead of JSON.parse keeps
 * memory bounded and lets the app run between chunks of a large file.
 */
function packageLockScanner(add: (name: string, version: string) => void): LineScanner {
  let inPackages = false;
  let current: string | null = null;
  let lockfileVersion: number | null = null;
  let entries = 0;
  return {
    line(text) {
      if (!inPackages) {
        const v = text.match(/^ {2}"lockfileVersion": (\d+)/);
        if (v) lockfileVersion = Number(v[1]);
        if (text === '  "packages": {') inPackages = true;
        return;
      }
      if (text.startsWith('  }')) {
        inPackages = false;
        return;
      }
      const key = text.match(/^ {4}"(.*)": \{$/);
      if (key) {
        const at = key[1].lastIndexOf('node_modules/');
        // "" is the app itself; keys without node_modules/ are workspace folders, the app's own code.
        current = at < 0 ? null : key[1].slice(at + 'node_modules/'.length);
        entries++;
        return;
      }
      const version = current === null ? null : text.match(/^ {6}"version": "(.*)",?$/);
      if (version && current) {
        add(current, version[1]);
        current = null;
      }
    },
    finish() {
      if (lockfileVersion === 1) return ['package-lock.json v1 is not supported (only v2/v3 with a packages map)'];
      if (entries === 0) return ['the lock file has no packages map in npm\'s formatting; resolved versions not read'];
      return [];
    },
  };
}

/** `"@scope/a@^1", "@scope/a@^1.2"` -> `@scope/a` (yarn v1 and berry headers). */
function yarnName(header: string): string | null {
  const first = header.split(',')[0].trim().replace(/^"|"$/g, '');
  if (first.includes('@workspace:') || first.includes('@link:') || first.includes('@portal:')) return null;
  const at = first.lastIndexOf('@');
  return at > 0 ? first.slice(0, at) : null;
}

/** yarn.lock (v1 and berry): a block header at column 0, then an indented `version`. */
function yarnScanner(add: (name: string, version: string) => void): LineScanner {
  let current: string | null = null;
  return {
    line(text) {
      if (text.length === 0 || text.startsWith('#')) return;
      if (!text.startsWith(' ')) {
        current = text.endsWith(':') && !text.startsWith('__metadata') ? yarnName(text.slice(0, -1)) : null;
        return;
      }
      const version = current === null ? null : text.match(/^ {2}version:? "?([^"\s]+)"?$/);
      if (version && current) {
        add(current, version[1]);
        current = null;
      }
    },
    finish: () => [],
  };
}

/** pnpm-lock.yaml `packages:` keys: `/a/1.0.0` (v5), `/a@1.0.0` (v6), `a@1.0.0` (v9), peers in parentheses or after `_`. */
export function pnpmKey(key: string): { name: string; version: string } | null {
  const bare = key.replace(/^['"]|['"]$/g, '').replace(/^\//, '').replace(/\(.*$/, '');
  const at = bare.lastIndexOf('@');
  if (at > 0) return { name: bare.slice(0, at), version: bare.slice(at + 1) };
  const slash = bare.lastIndexOf('/');
  if (slash <= 0) return null;
  return { name: bare.slice(0, slash), version: bare.slice(slash + 1).split('_')[0] };
}

function pnpmScanner(add: (name: string, version: string) => void): LineScanner {
  let inPackages = false;
  return {
    line(text) {
      if (!text.startsWith(' ') && text.length > 0) {
        inPackages = text === 'packages:';
        return;
      }
      const key = inPackages ? text.match(/^ {2}(\S.*):$/) : null;
      const parsed = key ? pnpmKey(key[1]) : null;
      if (parsed && parsed.version) add(parsed.name, parsed.version);
    },
    finish: () => [],
  };
}

const SCANNERS = { 'package-lock': packageLockScanner, yarn: yarnScanner, pnpm: pnpmScanner } as const;

/**
 * Hashes and scans one lock file in a single streamed pass: 32 KiB chunks, each hashed and split
 * into lines, so memory stays bounded and the app's event loop runs between chunks.
 */
export async function readLockFile(file: string, kind: Exclude<LockKind, ''>, maxPackages: number): Promise<LockSummary> {
  const size = (await stat(file)).size;
  if (size > MAX_LOCK_BYTES) {
    return { kind, file, sha256: '', packages: [], omitted: 0, notes: [`${path.basename(file)} is larger than ${MAX_LOCK_BYTES} bytes; not read`] };
  }
  const seen = new Set<string>();
  const packages: LockSummary['packages'] = [];
  let omitted = 0;
  const scanner = SCANNERS[kind]((name, version) => {
    const key = `${name}@${version}`;
    if (seen.has(key)) return;
    if (packages.length >= maxPackages) {
      omitted++;
      return;
    }
    seen.add(key);
    packages.push({ name, version });
  });
  const hash = createHash('sha256');
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of createReadStream(file, { highWaterMark: 32 * 1024 })) {
    hash.update(chunk as Buffer);
    const lines = (rest + decoder.write(chunk as Buffer)).split('\n');
    rest = lines.pop() ?? '';
    if (rest.length > MAX_LINE_CHARS) rest = '';
    for (const line of lines) scanner.line(line.endsWith('\r') ? line.slice(0, -1) : line);
    // A stream's buffered chunks arrive as microtasks, which would not let the app's timers run
    // between them: each chunk ends with a real turn of the event loop.
    await yieldToApp();
  }
  scanner.line(rest + decoder.end());
  return { kind, file, sha256: hash.digest('hex'), packages, omitted, notes: scanner.finish() };
}
