import cluster from 'node:cluster';
import path from 'node:path';
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import type { HelloMessage, ProcessRole } from '../protocol/messages';

/** What the hello says about the process (or worker thread) the probe runs in. */
export type ProcessIdentity = Required<Pick<HelloMessage, 'ppid' | 'threadId' | 'role' | 'roleIndex'>>;

/**
 * Scripts of the Node programs that only start the app as a child process: package managers and
 * runners. `leakwatch run -- npm start` loads the probe into npm too (NODE_OPTIONS reaches every
 * Node process of the command); npm's own heap says nothing about the app's, so it is a launcher
 * and kept out of the verdict. Matched on the script path's last segments, so a global install
 * (`/usr/lib/node_modules/npm/bin/npm-cli.js`), a `.bin` link (`node_modules/.bin/tsx`) and a
 * corepack shim all count.
 */
const LAUNCHER_SCRIPTS: readonly RegExp[] = [
  /(^|[\\/])npm-cli\.js$/,
  /(^|[\\/])npx-cli\.js$/,
  /(^|[\\/])bin[\\/](npm|npx|yarn|yarnpkg|pnpm|pnpx|corepack)$/,
  /(^|[\\/])yarn[\\/]bin[\\/]yarn(\.js)?$/,
  /(^|[\\/])yarn-[\w.-]+\.c?js$/,
  /(^|[\\/])pnpm[\\/](bin[\\/])?pnpm\.c?js$/,
  /(^|[\\/])corepack([\\/]dist[\\/]corepack)?\.c?js$/,
  // tsx's CLI runs the app in a child `node --require preflight --import loader app.ts`.
  /(^|[\\/])tsx[\\/]dist[\\/]cli\.[cm]?js$/,
  /(^|[\\/])\.bin[\\/]tsx$/,
];

const LAUNCHER_TITLES = /^(npm|npx|yarn|pnpm|corepack)(\s|$)/;

/** True when the script the process runs (argv[1]) or its title names a launcher. */
export function isLauncher(argv: readonly string[], title: string): boolean {
  const script = argv[1];
  if (script !== undefined && LAUNCHER_SCRIPTS.some((re) => re.test(script))) return true;
  // npm sets its title to `npm start` and so on once running; the probe may read it after that.
  return LAUNCHER_TITLES.test(path.basename(title));
}

/**
 * A thread that serves the tooling, not the app, where the probe stays out (its heap is the
 * tool's, and its verdict would only blur the app's):
 * - Node's own: in Node 20 the ESM loader hooks of `--import` (tsx, ts-node/esm) run in an
 *   internal worker, and a `-r` preload runs there as well. Unlike every `new Worker()`, it has
 *   no parentPort.
 * - esbuild's synchronous-API service thread (started by tsx, esbuild-register and the like for
 *   each process that transforms code), known by the `esbuildVersion` it is given as workerData.
 */
export function isInternalThread(): boolean {
  if (isMainThread) return false;
  if (parentPort === null) return true;
  return typeof workerData === 'object' && workerData !== null && 'esbuildVersion' in workerData && 'workerPort' in workerData;
}

/**
 * The identity of this process, read when the hello is first sent rather than at preload: by then
 * the app's main module has run, so a cluster primary that forks at start-up already has workers
 * (the collector also tells a primary by its worker children, for one that forks later).
 */
export function processIdentity(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv, title: string = process.title): ProcessIdentity {
  const base = { ppid: process.ppid, threadId };
  if (!isMainThread) return { ...base, role: 'thread', roleIndex: threadId };
  // Node's cluster tells a forked worker its id in NODE_UNIQUE_ID and deletes the variable while
  // it sets the worker up, before any preload runs: `cluster.worker` is what is left of it.
  if (cluster.isWorker && cluster.worker) return { ...base, role: 'worker', roleIndex: cluster.worker.id };
  const unique = Number(env.NODE_UNIQUE_ID);
  if (env.NODE_UNIQUE_ID !== undefined && Number.isSafeInteger(unique) && unique >= 0) return { ...base, role: 'worker', roleIndex: unique };
  let role: ProcessRole = 'process';
  if (isLauncher(argv, title)) role = 'launcher';
  else if (cluster.isPrimary && Object.keys(cluster.workers ?? {}).length > 0) role = 'primary';
  return { ...base, role, roleIndex: 0 };
}
