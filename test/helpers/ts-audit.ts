import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SOURCE = path.join(ROOT, 'test', 'fixtures', 'ts-audit', 'audit.ts');

/** A compiled copy of fixtures/ts-audit/audit.ts: `<dir>/src/audit.ts` -> `<dir>/dist/audit.js`. */
export interface CompiledAudit {
  dir: string;
  source: string;
  script: string;
  /** 1-based line of the first line of the .ts source that contains `text`. */
  lineOf(text: string): number;
}

/**
 * Copies the TypeScript fixture into `dir/src` and compiles it with the project's own tsc, as a
 * child process (TypeScript 7 has no JavaScript API), with an external map beside the script
 * (`--sourceMap`, tsc's `//# sourceMappingURL=audit.js.map`) or one inline in it
 * (`--inlineSourceMap`, a base64 `data:` URL).
 */
export async function compileAudit(dir: string, maps: 'sourceMap' | 'inlineSourceMap'): Promise<CompiledAudit> {
  const src = path.join(dir, 'src');
  fs.mkdirSync(src, { recursive: true });
  const source = path.join(src, 'audit.ts');
  fs.copyFileSync(SOURCE, source);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [`--${maps}`, '--outDir', path.join(dir, 'dist'), '--rootDir', src, '--module', 'commonjs', '--target', 'ES2022', '--strict', '--skipLibCheck'];
  await run(process.execPath, [tsc, ...args, '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), source], { cwd: dir });
  const lines = fs.readFileSync(source, 'utf8').split('\n');
  return {
    dir,
    source,
    script: path.join(dir, 'dist', 'audit.js'),
    lineOf(text) {
      const i = lines.findIndex((l) => l.includes(text));
      if (i < 0) throw new Error(`audit.ts has no line with ${text}`);
      return i + 1;
    },
  };
}

/** A frame as V8's sampling heap profiler reports it (1-based: where the function starts). */
export interface ProfiledFrame {
  fn: string;
  url: string;
  line: number;
  col: number;
}

/** Runs the compiled script's `profile` mode: the frames of its real sampling heap profile. */
export async function profiledFrames(script: string, nodeArgs: string[] = []): Promise<ProfiledFrame[]> {
  const { stdout } = await run(process.execPath, [...nodeArgs, script, 'profile'], { maxBuffer: 8 * 1024 * 1024 });
  return JSON.parse(stdout) as ProfiledFrame[];
}

/** Runs the `snapshots` mode: one real heap snapshot per file, taken as the audit state grows. */
export async function auditSnapshots(script: string, files: string[]): Promise<number[]> {
  const { stdout } = await run(process.execPath, [script, 'snapshots', ...files], { maxBuffer: 1024 * 1024 });
  return (JSON.parse(stdout) as { takenAt: number[] }).takenAt;
}
