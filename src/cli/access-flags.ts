import fs from 'node:fs';
import type { Command } from 'commander';
import type { CollectorOptions } from '../collector/collector';
import { LeakwatchError } from '../shared/errors';

export interface TokenFlags {
  token?: string;
  tokenFile?: string;
}

export interface AccessFlags extends TokenFlags {
  readToken?: string;
  readTokenFile?: string;
  allowedHost?: string[];
  insecureNoAuth?: boolean;
  tlsCert?: string;
  tlsKey?: string;
}

export type CollectorAccess = Pick<CollectorOptions, 'token' | 'readToken' | 'allowedHosts' | 'insecureNoAuth' | 'tls'>;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** One secret from a file: surrounding whitespace (the editor's newline) is not part of it. */
function readSecretFile(file: string, what: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new LeakwatchError('LW_ERR_CONFIG', `cannot read the ${what} file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!text) throw new LeakwatchError('LW_ERR_CONFIG', `the ${what} file ${file} is empty`);
  return text;
}

/**
 * A secret from, in order: its flag, its file flag, `<ENV>`, `<ENV>_FILE`. Files and the
 * environment keep it out of `ps`; the flag is there for quick local tries.
 */
function secretFrom(value: string | undefined, file: string | undefined, env: NodeJS.ProcessEnv, name: string, what: string): string | undefined {
  if (value) return value;
  if (file) return readSecretFile(file, what);
  if (env[name]) return env[name];
  if (env[`${name}_FILE`]) return readSecretFile(env[`${name}_FILE`]!, what);
  return undefined;
}

/** The probe token flags, shared by `collect` and `run`. */
export function addTokenFlags(command: Command, what: string): Command {
  return command
    .option('--token <token>', `${what} (visible in ps: prefer --token-file or LEAKWATCH_TOKEN)`)
    .option('--token-file <file>', `read the probe token from this file (or LEAKWATCH_TOKEN_FILE)`);
}

export function probeTokenFrom(flags: TokenFlags, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return secretFrom(flags.token, flags.tokenFile, env, 'LEAKWATCH_TOKEN', 'probe token');
}

/** The read token a CLI command sends to a collector's API: LEAKWATCH_READ_TOKEN or LEAKWATCH_READ_TOKEN_FILE. */
export function clientReadToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return secretFrom(undefined, undefined, env, 'LEAKWATCH_READ_TOKEN', 'read token');
}

/** `collect`'s access flags: tokens, accepted host names, the explicit opt-out, TLS. */
export function addAccessFlags(command: Command): Command {
  addTokenFlags(command, 'require probes to present this token');
  return command
    .option('--read-token <token>', 'require this token of the UI, the API and the live socket (visible in ps: prefer --read-token-file or LEAKWATCH_READ_TOKEN)')
    .option('--read-token-file <file>', 'read the read token from this file (or LEAKWATCH_READ_TOKEN_FILE)')
    .option('--allowed-host <name>', 'a host name browsers and clients may use to reach the collector (repeatable; guards against DNS rebinding)', collect)
    .option('--insecure-no-auth', 'listen beyond loopback without the probe and read tokens: anyone who reaches the port can read every run and download heap snapshots')
    .option('--tls-cert <file>', 'serve https/wss with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert');
}

function readTlsFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new LeakwatchError('LW_ERR_TLS', `cannot read the TLS ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export function collectorAccessFrom(flags: AccessFlags, env: NodeJS.ProcessEnv = process.env): CollectorAccess {
  if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new LeakwatchError('LW_ERR_TLS', '--tls-cert and --tls-key go together');
  return {
    token: probeTokenFrom(flags, env),
    readToken: secretFrom(flags.readToken, flags.readTokenFile, env, 'LEAKWATCH_READ_TOKEN', 'read token'),
    allowedHosts: flags.allowedHost ?? [],
    insecureNoAuth: flags.insecureNoAuth === true,
    tls: flags.tlsCert && flags.tlsKey ? { cert: readTlsFile(flags.tlsCert, 'certificate'), key: readTlsFile(flags.tlsKey, 'key') } : undefined,
  };
}
