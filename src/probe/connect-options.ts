import { unrefConnect } from './unref-connect';

/**
 * What every probe connection presents and trusts. The token is bytes outside the V8 heap (a
 * Buffer's memory is not in a heap snapshot, which is the data this probe ships): its string
 * form exists only while a handshake is being written.
 */
export interface CollectorTrust {
  token: Buffer | undefined;
  /** PEM certificates to trust for a wss:// collector (a private CA or a self-signed certificate). */
  ca: Buffer | undefined;
}

/** The ws client options of one connection: its Authorization header, CA and unref'd socket. */
export function connectOptions(url: string, trust: CollectorTrust): { headers: Record<string, string>; ca?: Buffer; createConnection: ReturnType<typeof unrefConnect> } {
  return {
    headers: trust.token ? { authorization: `Bearer ${trust.token.toString('utf8')}` } : {},
    ...(trust.ca ? { ca: trust.ca } : {}),
    createConnection: unrefConnect(url),
  };
}
