import { Command } from 'commander';
// The policy alone, not the access layer: commands that start no collector do not load it.
import { checkBindPolicy } from '../collector/access/bind-policy';
import { createLogger, type LogLevel } from '../shared/log';
import { parseByteSize, parseInteger } from '../shared/units';
import { addAccessFlags, collectorAccessFrom, type AccessFlags } from './access-flags';
import { DEFAULT_MAX_CONNECTIONS } from '../collector/connection-guard';
import { startCollectorProcess } from './start-collector-process';
import { addStoreFlags, storeOptionsFrom, type StoreFlags } from './store-flags';

interface CollectFlags extends StoreFlags, AccessFlags {
  host: string;
  port: string;
  logLevel: LogLevel;
  snapshotDir?: string;
  watchSuspects?: boolean;
  spoolDir?: string;
  spoolBudget: string;
  maxConnections: string;
}

export function collectCommand(): Command {
  const command = new Command('collect')
    .description('run a collector: receives probe data, stores it in ClickHouse, serves the UI and API')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '7070')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .option('--snapshot-dir <dir>', 'where heap snapshot files are kept (default: <data dir>/snapshots, or .leakwatch/snapshots with --clickhouse)')
    .option('--spool-dir <dir>', 'where batches wait while ClickHouse is unavailable (default: <data dir>/spool, or .leakwatch/spool with --clickhouse)')
    .option('--spool-budget <size>', 'disk the spool may use; past 80% new snapshots are refused, past it probes keep their data unacknowledged', '1GiB')
    .option('--max-connections <n>', `probe and snapshot-upload connections held at once; more are refused with LW_ERR_TOO_MANY_CONNECTIONS`, String(DEFAULT_MAX_CONNECTIONS))
    .option('--watch-suspects', 'after a snapshot names growth suspects, ask the probe to watch the top containers for 30 s and record the lines that add to them');
  addAccessFlags(command);
  addStoreFlags(command);
  return command.action(async (flags: CollectFlags) => {
    const log = createLogger(flags.logLevel);
    const port = parseInteger(flags.port, '--port', 0, 65_535);
    const access = collectorAccessFrom(flags);
    // Before the store is opened: a refused start leaves nothing behind.
    checkBindPolicy({ host: flags.host, token: access.token, readToken: access.readToken, insecureNoAuth: access.insecureNoAuth ?? false });
    const spoolBudgetBytes = parseByteSize(flags.spoolBudget, '--spool-budget', 1024 * 1024, 2 ** 50);
    const maxConnections = parseInteger(flags.maxConnections, '--max-connections', 1, 1_000_000);
    const running = await startCollectorProcess({
      storeOptions: storeOptionsFrom(flags),
      host: flags.host,
      port,
      allowPortFallback: false,
      access,
      log,
      snapshotDir: flags.snapshotDir,
      watchSuspects: flags.watchSuspects === true,
      spoolDir: flags.spoolDir,
      spoolBudgetBytes,
      maxConnections,
    });
    const { url } = running.collector;
    process.stdout.write(`leakwatch collector listening on ${url} (storage: ${running.store.description})\n`);
    process.stdout.write(`leakwatch UI: ${url}/\n`);
    const tokenHint = access.token ? ' LEAKWATCH_TOKEN_FILE=<probe token file>' : '';
    process.stdout.write(`attach a process: LEAKWATCH_COLLECTOR=${url.replace(/^http/, 'ws')}/ingest${tokenHint} node -r leakwatch/register app.js\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        log.info('shutting down: storing what was received');
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await running.close();
  });
}
