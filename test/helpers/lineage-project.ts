import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli';

export const REGISTER = path.join(REPO_ROOT, 'dist', 'src', 'probe', 'register.js');

export interface ProjectSpec {
  name: string;
  version: string;
  /** Direct dependencies: name -> [range, resolved version]. */
  direct: Record<string, [string, string]>;
  /** Transitive packages (lock only): lock key under node_modules/ -> version. */
  transitive?: Record<string, string>;
  /** The commit the fake checkout's main branch points at; none: no .git at all. */
  commit?: string;
  /** Bytes the app keeps per tick (0: a flat heap). */
  leakBytesPerTick?: number;
}

/** An app that runs until killed, allocating every 100 ms and keeping about `leak` bytes of it when asked to. */
const APP = `
const kept = [];
const leak = Number(process.env.APP_LEAK_BYTES || 0);
// A full GC every second: a short run then has a heap-floor point in every detector window.
if (global.gc) setInterval(() => global.gc(), 1000);
// A plain array of small integers lives on the JS heap (about 8 bytes an element), unlike a
// repeated string, which V8 builds as a few shared rope nodes.
setInterval(() => { const a = new Array(Math.max(1, leak >> 3)).fill(kept.length & 0xff); if (leak > 0) kept.push(a); }, 100);
`;

/**
 * A project directory as a deployment has it: package.json, a package-lock.json v3 written the
 * way npm writes it (two-space JSON), a .git directory with HEAD on a branch whose ref names
 * `commit`, and the app script in src/ (so the nearest package.json is one level up).
 */
export function writeProject(dir: string, spec: ProjectSpec): string {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  const dependencies = Object.fromEntries(Object.entries(spec.direct).map(([n, [range]]) => [n, range]));
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: spec.name, version: spec.version, dependencies }, null, 2)}\n`);
  const packages: Record<string, unknown> = { '': { name: spec.name, version: spec.version, dependencies } };
  for (const [n, [, version]] of Object.entries(spec.direct)) packages[`node_modules/${n}`] = { version, resolved: `https://registry.npmjs.org/${n}/-/${n}-${version}.tgz`, license: 'MIT' };
  for (const [key, version] of Object.entries(spec.transitive ?? {})) packages[`node_modules/${key}`] = { version, dev: true };
  fs.writeFileSync(path.join(dir, 'package-lock.json'), `${JSON.stringify({ name: spec.name, version: spec.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
  if (spec.commit) {
    fs.mkdirSync(path.join(dir, '.git', 'refs', 'heads'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.writeFileSync(path.join(dir, '.git', 'refs', 'heads', 'main'), `${spec.commit}\n`);
  }
  const script = path.join(dir, 'src', 'app.js');
  fs.writeFileSync(script, APP);
  return script;
}

/** Starts the project's app with the real probe attached (cwd: the project) and a full GC each second, until killed. */
export function startProjectApp(dir: string, ingestUrl: string, run: string, leakBytes = 0): ChildProcess {
  return spawn(process.execPath, ['--expose-gc', '-r', REGISTER, path.join('src', 'app.js')], {
    cwd: dir,
    env: { ...process.env, LEAKWATCH_COLLECTOR: ingestUrl, LEAKWATCH_RUN_ID: run, LEAKWATCH_INTERVAL: '250ms', APP_LEAK_BYTES: String(leakBytes) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
