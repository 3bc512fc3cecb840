import { LeakwatchError } from '../../shared/errors';

/** Names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

export interface BindPolicyInput {
  host: string;
  token: string | undefined;
  readToken: string | undefined;
  insecureNoAuth: boolean;
}

/**
 * Refuses to listen beyond loopback without both tokens: a heap snapshot is the app's memory,
 * and anyone who reaches the port could otherwise list runs, pause the app with snapshots and
 * download them. `insecureNoAuth` is the user's explicit, logged choice (a private network).
 * The two tokens must differ: the probe token sits in every attached app's environment, so an
 * app that leaks it must not also leak read access to every run.
 */
export function checkBindPolicy(input: BindPolicyInput): void {
  if (input.token && input.readToken && input.token === input.readToken) {
    throw new LeakwatchError('LW_ERR_CONFIG', 'the read token must differ from the probe token (--read-token vs --token)');
  }
  if (isLoopbackHost(input.host) || input.insecureNoAuth) return;
  const missing = [input.token ? '' : 'a probe token (--token-file / LEAKWATCH_TOKEN)', input.readToken ? '' : 'a read token (--read-token-file / LEAKWATCH_READ_TOKEN)'].filter(Boolean);
  if (missing.length > 0) {
    throw new LeakwatchError('LW_ERR_INSECURE_BIND', `listening on ${input.host} (beyond loopback) needs ${missing.join(' and ')}, or --insecure-no-auth to expose the data to anyone who reaches the port`);
  }
}
