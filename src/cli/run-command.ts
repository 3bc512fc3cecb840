import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
// The policy alone, not the access layer: it is all this command needs of it.
import { isLoopbackHost } from '../collector/access/bind-policy';
import { LeakwatchError } from '../shared/errors';
import { createLogger } from '../shared/log';
import { durationEnv, durationHelp, parseDuration } from '../shared/duration';
import { MAX_GROWTH_SHARE, MIN_INTERVAL_MS, PROBE_ENV, SNAPSHOT_EVERY_RULE, normaliseCollectorUrl } from '../shared/probe-config';
import { parseInteger, parseLabels, parseShare } from '../shared/units';
import type { VerdictBody } from '../api/http-contract';
import { addTokenFlags, probeTokenFrom, type TokenFlags } from './access-flags';
import { addAllocFlags, allocFlagsToEnv, type AllocFlags } from './alloc-flags';
import { addCheckFlags, emitVerdict, resolveCheckThresholds, type CheckFlags } from './check-flags';
import { CHECK_EXIT_CODES } from './check-report';
import { DEFAULT_CHECK_SNAPSHOTS, MAX_CHECK_SNAPSHOTS, parseCheckSnapshots } from './check-snapshot-planner';
import { startCheckSnapshots, type CheckSnapshots } from './check-snapshots';
import { exitCodeOf, spawnWithProbe } from './child-command';
import { addFloorFlags, floorFlagsToEnv, type FloorFlags } from './floor-flags';
import { createProcessTree } from './process-tree';
import { createRunLifetime, DEFAULT_KILL_AFTER_MS, type RunLifetime } from './run-lifetime';
import { openRunSource } from './run-source/open-run-source';
import { embeddedRunSource } from './run-source/store-run-source';
import { startCollectorProcess } from './start-collector-process';
import { createTokenHandoff } from './token-handoff';
import { addStoreFlags, storeOptionsFrom, type StoreFlags } from './store-flags';

interface RunFlags extends StoreFlags, CheckFlags, AllocFlags, FloorFlags, TokenFlags {
  check?: boolean;
  /** `--check-snapshots <n>` (text), `--no-check-snapshots` (false), or neither (undefined). */
  checkSnapshots?: string | boolean;
  name?: string;
  label: string[];
  interval: string;
  duration?: string;
  killAfter: string;
  collector?: string;
  host: string;
  port: string;
  snapshotDir?: string;
  snapshotEvery?: string;
  snapshotOnGrowth?: string;
  snapshotNearLimit?: string;
  /** `--watch-suspects` (true), `--no-watch-suspects` (false), or neither (undefined: on with --check). */
  watchSuspects?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `leakwatch run -- <cmd…>`: the whole soak in one command. Starts an embedded collector unless
 * --collector points at one (or one already owns the data directory), attaches the probe to the
 * command through NODE_OPTIONS, stops it after --duration, marks the run ended and exits with
 * the command's exit code (0 when leakwatch itself stopped it at the end of --duration); with
 * --check, with the verdict's code instead (0 no leak, 1 leak, 2 inconclusive) when the command
 * itself did not fail.
 */
export function runCommand(): Command {
  const command = new Command('run')
    .description('run a command with the probe attached and an embedded collector + UI')
    .argument('<cmd...>', 'the command to profile, after --, e.g. -- node server.js')
    .option('--name <name>', 'run name (default: the script name)')
    .option('--label <key=value>', 'label the run (repeatable)', collect, [])
    .option('--interval <duration>', 'sampling interval (at least 100ms)', '1s')
    .option('--duration <duration>', 'stop the command after this long (e.g. 30m; 600 is 10 minutes)')
    .option('--kill-after <duration>', 'when the run ends, SIGKILL what of its process tree is still running this long after SIGTERM (a bare number is seconds)', `${DEFAULT_KILL_AFTER_MS / 1000}s`)
    .option('--collector <url>', 'send to a running collector (http://host:port) instead of starting one')
    .option('--host <host>', 'address of the embedded collector', '127.0.0.1')
    .option('--port <port>', 'port of the embedded collector (0: any free port)', '7070')
    .option('--snapshot-dir <dir>', 'where the embedded collector keeps heap snapshot files (default: <data dir>/snapshots)')
    .option('--snapshot-every <duration>', 'take a heap snapshot every this long (e.g. 30m; at least 1s, 0: off)')
    .option('--snapshot-on-growth <share>', 'take a heap snapshot when the heap floor grew by this share since the last one (e.g. 50%)')
    .option('--snapshot-near-limit <share>', 'take a heap snapshot when heap used reaches this share of the heap limit (e.g. 0.9)')
    .option('--check', 'when the command ends, judge the run like `leakwatch check` and exit 0 no leak, 1 leak, 2 inconclusive')
    .option('--check-snapshots <n>', `with --check and --duration: once the trend points to a leak, take up to n heap snapshots (a count, 0-${MAX_CHECK_SNAPSHOTS}) so the verdict names the culprit (default ${DEFAULT_CHECK_SNAPSHOTS})`)
    .option('--no-check-snapshots', 'with --check: take no snapshots for the verdict')
    .option('--watch-suspects', 'after a snapshot names growth suspects, watch the top containers for 30 s to find the lines that add to them (default with --check)')
    .option('--no-watch-suspects', 'do not watch suspect containers (also with --check)')
    .passThroughOptions()
    .addHelpText('after', durationHelp(['--interval', '--duration', '--kill-after', '--snapshot-every', '--alloc-every', '--measure-floor-every', '--min-duration', '--warmup']));
  addTokenFlags(command, 'token the probe presents to the collector');
  addAllocFlags(command);
  addFloorFlags(command);
  addCheckFlags(command);
  addStoreFlags(command);
  return command.action(async (cmd: string[], flags: RunFlags) => {
    const log = createLogger('warn');
    const labels = parseLabels(flags.label, '--label');
    const intervalMs = parseDuration(flags.interval, '--interval', { min: MIN_INTERVAL_MS });
    const durationMs = flags.duration === undefined ? undefined : parseDuration(flags.duration, '--duration');
    const killAfterMs = parseKillAfter(flags.killAfter);
    const port = parseInteger(flags.port, '--port', 0, 65_535);
    const token = probeTokenFrom(flags);
    const snapshotEnv = snapshotFlagsToEnv(flags);
    const allocEnv = allocFlagsToEnv(flags);
    const floorEnv = floorFlagsToEnv(flags, flags.check === true);
    // Checked before the soak starts: a typo must not cost a 30-minute run.
    const thresholds = flags.check ? resolveCheckThresholds(flags) : undefined;
    const checkSnapshots = parseCheckSnapshots(flags.checkSnapshots);

    const startEmbedded = async () => {
      // The embedded collector has no read token or TLS flags: a collector others reach is `collect`'s job.
      if (!isLoopbackHost(flags.host)) {
        throw new LeakwatchError('LW_ERR_INSECURE_BIND', `run's embedded collector listens on loopback only (got --host ${flags.host}); for a shared collector start \`leakwatch collect\` with tokens (docs/security.md) and use run --collector`);
      }
      return startEmbeddedCollector();
    };
    const startEmbeddedCollector = async () => embeddedRunSource(await startCollectorProcess({
      storeOptions: storeOptionsFrom(flags),
      host: flags.host,
      port,
      allowPortFallback: flags.port === '7070',
      access: { token },
      log,
      snapshotDir: flags.snapshotDir,
      watchSuspects: flags.watchSuspects ?? flags.check === true,
    }));
    const source = await openRunSource(flags, startEmbedded, (owner) => process.stderr.write(`leakwatch: using the collector at ${owner.url} that owns ${flags.data}\n`));
    await source.ensureReachable();
    const { collectorUrl } = source;

    const runId = randomUUID();
    process.stdout.write(`leakwatch UI: ${collectorUrl.replace(/\/$/, '')}/runs/${runId}\n`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [PROBE_ENV.collector]: normaliseCollectorUrl(collectorUrl),
      [PROBE_ENV.runId]: runId,
      [PROBE_ENV.runName]: flags.name ?? path.basename(cmd[cmd.length - 1] ?? cmd[0]),
      [PROBE_ENV.labels]: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
      [PROBE_ENV.interval]: durationEnv(intervalMs),
      [PROBE_ENV.managed]: '1',
    };
    delete env[PROBE_ENV.token];
    // A token for this run alone where the collector can issue one: a process of the run that
    // outlives it (leakwatch SIGKILLed) is refused by the next collector on this port, even one
    // that asks for no token, so its probe stops instead of writing into that collector's data.
    const childToken = (await source.issueRunToken?.(runId, token)) ?? token;
    const handoff = childToken ? createTokenHandoff(childToken) : undefined;
    Object.assign(env, handoff?.env, snapshotEnv, allocEnv, floorEnv);

    let stoppedByUs = false;
    let result;
    let snapshots: CheckSnapshots | undefined;
    const note = (line: string) => process.stderr.write(`leakwatch: ${line}\n`);
    // Every process the command starts carries the tree's mark, so the run can stop them all.
    const tree = createProcessTree();
    Object.assign(env, tree.env);
    let lifetime: RunLifetime | undefined;
    try {
      const { child, exited } = spawnWithProbe(cmd, env);
      if (child.pid !== undefined) tree.setRoot(child.pid);
      lifetime = createRunLifetime({ tree, child, killAfterMs, note });
      const startedAt = Date.now();
      if (thresholds && checkSnapshots > 0) {
        // The snapshots are spread over the run, so its length must be known.
        if (durationMs !== undefined) snapshots = startCheckSnapshots({ source, runId, thresholds, startedAt, durationMs, maxSnapshots: checkSnapshots, note, watchSuspects: flags.watchSuspects ?? true });
        else note('without --duration, run --check takes no snapshots by itself (the suspects need 3: add --duration or --snapshot-every)');
      }
      let ended = false;
      const durationTimer = durationMs === undefined ? undefined : setTimeout(() => {
        // A snapshot of ours still being written or uploaded needs the command alive (bounded).
        void (snapshots?.beforeStop() ?? Promise.resolve()).then(() => {
          if (ended) return;
          stoppedByUs = true;
          void lifetime?.stop('SIGTERM');
        });
      }, durationMs);
      try {
        result = await exited;
        // The command is gone; what it left running (`node a.js &` in a shell that exited) is
        // stopped too, before the run ends, so their probes' last batches are still stored.
        await lifetime.stop('SIGTERM');
      } finally {
        ended = true;
        clearTimeout(durationTimer);
      }
    } catch (err) {
      // Whatever failed, nothing the run started outlives it.
      await lifetime?.stop('SIGTERM');
      lifetime?.dispose();
      handoff?.remove();
      await snapshots?.stop();
      await source.close();
      throw err;
    }
    lifetime.dispose();
    handoff?.remove();
    const exitCode = exitCodeOf(result);
    // Stopped by our SIGTERM (or the SIGKILL after it): dying by the signal, or exiting with the
    // shell's 128 + signal as wrappers do that pass it on to their child and then exit (tsx, a
    // shell's `trap`), is the end --duration asked for.
    const endedByOurSignal = result.signal !== null || result.code === 128 + os.constants.signals.SIGTERM || result.code === 128 + os.constants.signals.SIGKILL;
    const reported = stoppedByUs && endedByOurSignal ? 0 : exitCode;
    let verdict: VerdictBody | undefined;
    try {
      // Before the run is ended: ending it closes an embedded collector, which would cancel the
      // analyses under way, and the verdict names the culprit from their suspects.
      if (reported === 0) await snapshots?.finish();
      else await snapshots?.stop();
      // Ending the run stores what the probe sent, so the verdict read next sees all of it.
      await source.endRun(runId, exitCode);
      if (thresholds) verdict = await source.verdict(runId, thresholds);
      await source.close();
    } catch (err) {
      if (!(err instanceof LeakwatchError && err.code === 'LW_ERR_NOT_FOUND')) throw err;
      process.stderr.write('leakwatch: the command ended before the probe sent anything (is it a Node.js program?)\n');
    }
    if (!thresholds) {
      process.exitCode = reported;
      return;
    }
    if (reported !== 0) {
      // A soak whose command failed is not judged: the failure is the answer.
      process.stderr.write(`leakwatch: the command exited with ${exitCode}; no verdict\n`);
      process.exitCode = reported;
      return;
    }
    process.exitCode = verdict ? emitVerdict(runId, verdict, flags) : CHECK_EXIT_CODES.inconclusive;
  });
}

/** --kill-after: a grace of zero would skip SIGTERM altogether, a negative one means nothing. */
function parseKillAfter(input: string): number {
  const ms = parseDuration(input, '--kill-after');
  if (ms <= 0) throw new LeakwatchError('LW_ERR_CONFIG', `--kill-after must be above zero (the grace between SIGTERM and SIGKILL), got ${input}`);
  return ms;
}

/**
 * Checks the snapshot flags here, so a typo fails `leakwatch run` with one line instead of
 * starting the command with a probe that refuses its configuration, and hands them to the
 * child's probe as LEAKWATCH_SNAPSHOT_* variables in the form the probe parses.
 */
function snapshotFlagsToEnv(flags: RunFlags): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (flags.snapshotEvery !== undefined) {
    // Explicit milliseconds: the probe reads a bare number as seconds.
    env[PROBE_ENV.snapshotEvery] = durationEnv(parseDuration(flags.snapshotEvery, '--snapshot-every', SNAPSHOT_EVERY_RULE));
  }
  if (flags.snapshotOnGrowth !== undefined) env[PROBE_ENV.snapshotOnGrowth] = `${parseShare(flags.snapshotOnGrowth, '--snapshot-on-growth', MAX_GROWTH_SHARE)}`;
  if (flags.snapshotNearLimit !== undefined) env[PROBE_ENV.snapshotNearLimit] = `${parseShare(flags.snapshotNearLimit, '--snapshot-near-limit', 1)}`;
  return env;
}
