import { LeakwatchError } from '../shared/errors';

/** `?boot=`: one process of the run (its probe boot id, as /processes lists them); absent: all of them. */
export function bootOf(params: URLSearchParams): string | undefined {
  const raw = params.get('boot');
  if (raw === null || raw === '') return undefined;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(raw)) throw new LeakwatchError('LW_ERR_BAD_REQUEST', `boot must be a process id of the run, got "${raw.slice(0, 40)}"`);
  return raw;
}
