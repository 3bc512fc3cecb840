import { parseDuration } from '../../src/shared/duration';

/**
 * The soak's schedule: how long it runs and when the collector is restarted and the app asked
 * for a heap snapshot. The defaults are the (2 h, a restart every 20 min, a snapshot
 * every 30 min), and a shorter `--duration` scales them: restart every duration/6, snapshot
 * every duration/4, each overridable. Durations follow leakwatch's rule: a unit (`90m`, `2h`) or a
 * bare number of seconds.
 */
export interface SoakSchedule {
  durationMs: number;
  restartEveryMs: number;
  snapshotEveryMs: number;
  probes: number;
  app: string;
  /** Extra environment for the app (`--app-env KEY=VALUE`, repeatable), e.g. a probe setting to compare. */
  appEnv: Record<string, string>;
}

export const DEFAULT_APP = 'samples/healthy-churn-server.js';

export function parseSchedule(argv: readonly string[]): SoakSchedule {
  const values = new Map<string, string>();
  const appEnv: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--app-env') {
      const pair = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(argv[++i] ?? '');
      if (!pair) throw new Error('--app-env needs KEY=VALUE');
      appEnv[pair[1]!] = pair[2]!;
      continue;
    }
    const match = /^--(duration|restart-every|snapshot-every|probes|app)(?:=(.*))?$/.exec(argv[i]!);
    if (!match) throw new Error(`unknown argument "${argv[i]}" (expected --duration, --restart-every, --snapshot-every, --probes, --app, --app-env)`);
    values.set(match[1]!, match[2] ?? argv[++i] ?? '');
  }
  const durationMs = parseDuration(values.get('duration') ?? '2h', '--duration', { min: 60_000 });
  const every = (name: string, share: number): number => {
    const raw = values.get(name);
    const ms = raw === undefined ? durationMs / share : parseDuration(raw, `--${name}`, { min: 10_000 });
    if (ms < 10_000) throw new Error(`--${name} must be at least 10s (a shorter --duration scales it below that: name it)`);
    return ms;
  };
  const probes = Number(values.get('probes') ?? 50);
  if (!Number.isInteger(probes) || probes < 0) throw new Error('--probes needs a whole number');
  return { durationMs, restartEveryMs: every('restart-every', 6), snapshotEveryMs: every('snapshot-every', 4), probes, app: values.get('app') ?? DEFAULT_APP, appEnv };
}
