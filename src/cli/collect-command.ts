import { Command } from 'commander';
import { createLogger, type LogLevel } from '../shared/log';
import { parseInteger } from '../shared/units';
import { DEFAULT_MAX_CONNECTIONS } from '../collector/connection-guard';
import { startCollectorProcess } from './start-collector-process';
import { addStoreFlags, storeOptionsFrom, type StoreFlags } from './store-flags';

interface CollectFlags extends StoreFlags {
  host: string;
  port: string;
  token?: string;
  logLevel: LogLevel;
  snapshotDir?: string;
  watchSuspects?: boolean;
  maxConnections: string;
}

export function collectCommand(): Command {
  const command = new Command('collect')
    .description('run a collector: receives probe data, stores it in ClickHouse, serves the UI and API')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '7070')
    .option('--token <token>', 'require probes to present this token (or LEAKWATCH_TOKEN)')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .option('--snapshot-dir <dir>', 'where heap snapshot files are kept (default: <data dir>/snapshots, or .leakwatch/snapshots with --clickhouse)')
    .option('--max-connections <n>', `probe and snapshot-upload connections held at once; more are refused with LW_ERR_TOO_MANY_CONNECTIONS`, String(DEFAULT_MAX_CONNECTIONS))
    .option('--watch-suspects', 'after a snapshot names growth suspects, ask the probe to watch the top containers for 30 s and record the lines that add to them');
  addStoreFlags(command);
  return command.action(async (flags: CollectFlags) => {
    const log = createLogger(flags.logLevel);
    const port = parseInteger(flags.port, '--port', 0, 65_535);
    const maxConnections = parseInteger(flags.maxConnections, '--max-connections', 1, 1_000_000);
    const running = await startCollectorProcess({
      storeOptions: storeOptionsFrom(flags),
      host: flags.host,
      port,
      allowPortFallback: false,
      token: flags.token ?? process.env.LEAKWATCH_TOKEN,
      log,
      snapshotDir: flags.snapshotDir,
      watchSuspects: flags.watchSuspects === true,
      maxConnections,
    });
    const { url } = running.collector;
    process.stdout.write(`leakwatch collector listening on ${url} (storage: ${running.store.description})\n`);
    process.stdout.write(`leakwatch UI: ${url}/\n`);
    process.stdout.write(`attach a process: LEAKWATCH_COLLECTOR=${url.replace(/^http/, 'ws')}/ingest node -r leakwatch/register app.js\n`);
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
