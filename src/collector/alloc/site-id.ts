import { createHash } from 'node:crypto';
import type { AllocFrame } from '../../protocol/alloc-messages';

/**
 * A site's stable id: the first 16 hex digits of the sha1 of its frames (`fn url:line:col`, one
 * a line, allocating frame first). The same stack gets the same id in every profile and every
 * boot, so a site's series joins across profiles; 64 bits make a collision among the few
 * thousand sites of a run vanishingly unlikely.
 */
export function siteIdOf(frames: readonly AllocFrame[]): string {
  const hash = createHash('sha1');
  for (const f of frames) hash.update(`${f.fn} ${f.url}:${f.line}:${f.col}\n`);
  return hash.digest('hex').slice(0, 16);
}
