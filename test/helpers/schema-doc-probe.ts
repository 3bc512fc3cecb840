import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './cli';

const PROBE = path.join(REPO_ROOT, 'dist', 'src', 'probe', 'index.js');

/*
 * A small leaking app with the real probe, for running the documented queries on data a probe
 * really sent: it keeps 200 `DocsLeak` objects every 50 ms, forces a full GC every 300 ms (so
 * heap used after major GCs has a point in every one-second window), sends an allocation profile
 * every second (sampled every 16 KiB, so a second holds several samples) and takes a heap snapshot
 * every 3 s, which the collector analyses. It prints its run and boot, and stops on "stop".
 */
const APP = `
const { startProbe, stopProbe } = require(${JSON.stringify(PROBE)});
const probe = startProbe({
  collector: process.env.APP_COLLECTOR, runName: 'docs-real', interval: '200ms',
  allocInterval: '16KiB', allocEvery: '1s', snapshotEvery: '3s', uploadSourceMaps: false,
});
class DocsLeak { constructor(id) { this.id = id; this.payload = 'leak-' + 'x'.repeat(100) + id; } }
const keep = [];
const leak = setInterval(() => { for (let i = 0; i < 200; i++) keep.push(new DocsLeak(keep.length)); }, 50);
const full = setInterval(() => global.gc(), 300);
process.stdout.write(JSON.stringify({ run: probe.runId, boot: probe.bootId }) + '\\n');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (!chunk.includes('stop')) return;
  clearInterval(leak);
  clearInterval(full);
  stopProbe(10000).then(() => process.exit(0));
});
`;

export interface LeakingApp {
  child: ChildProcess;
  run: string;
  boot: string;
  stderr: () => string;
  /** Stops the probe (flushing what it holds) and waits for the app to exit. */
  stop(): Promise<void>;
}

export function startLeakingApp(collector: string): Promise<LeakingApp> {
  const child = spawn(process.execPath, ['--expose-gc', '-e', APP], { env: { ...process.env, APP_COLLECTOR: collector }, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the leaking app did not start (stderr: ${err.slice(-1000)})`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const at = out.indexOf('\n');
      if (at < 0) return;
      clearTimeout(timer);
      const { run, boot } = JSON.parse(out.slice(0, at)) as { run: string; boot: string };
      resolve({
        child,
        run,
        boot,
        stderr: () => err,
        async stop() {
          if (child.exitCode === null) child.stdin!.write('stop\n');
          const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}
