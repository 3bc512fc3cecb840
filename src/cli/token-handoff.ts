import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROBE_ENV } from '../shared/probe-config';

/**
 * Hands the probe token to the profiled command as a file (LEAKWATCH_TOKEN_FILE) rather than
 * its value in the environment: each probe deletes LEAKWATCH_TOKEN from its process once read,
 * so a command whose Node.js processes start others (`npm start`, a cluster) would otherwise
 * lose the token on the way down; the file's path passes down the tree, readable by this user
 * only, and is removed when the command ends.
 */
export function createTokenHandoff(token: string): { env: NodeJS.ProcessEnv; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-token-'));
  const file = path.join(dir, 'probe-token');
  fs.writeFileSync(file, token, { mode: 0o600 });
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // A run cut short by an error still leaves no secret behind.
  process.on('exit', remove);
  return { env: { [PROBE_ENV.tokenFile]: file }, remove };
}
