import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { BootTrendsBody } from '../../src/api/http-contract';
import { startProjectApp, writeProject } from './lineage-project';
import { getJson, waitFor } from './wait-for';

export const COMMIT_A = 'a'.repeat(40);
export const COMMIT_B = 'b'.repeat(40);
/**
 * The healthy app's floor still settles in its first seconds (JIT, the probe's own buffers): the
 * threshold sits far below the leak (about 2 GB/h) and far above that settling.
 */
export const TREND_QUERY = 'minDuration=8s&warmup=4s&maxSlope=64MB/h';
export const TREND_FLAGS = ['--min-duration', '8s', '--warmup', '4s', '--max-slope', '64MB/h'];
export const HEALTHY_RUN = 'orders-healthy';
export const LEAKY_RUN = 'orders-leaky';

/**
 * Two releases of one app as two real processes with the real probe, each in its own project
 * directory: the healthy release (flat heap) and the next one (a leak), whose lock files differ by
 * one upgraded direct dependency (express), one upgraded transitive one (body-parser), one added
 * (lru-cache) and one removed (left-pad), and whose git commits and versions differ. Resolves once
 * the collector judges each process on at least 20 s of its own series.
 */
export async function startComparedReleases(dir: string, collectorUrl: string): Promise<ChildProcess[]> {
  const ingest = `${collectorUrl.replace('http', 'ws')}/ingest`;
  const healthy = path.join(dir, 'release-1');
  writeProject(healthy, {
    name: 'orders',
    version: '1.0.0',
    direct: { express: ['^4.18.0', '4.18.2'], lodash: ['^4.17.0', '4.17.21'], 'left-pad': ['^1.3.0', '1.3.0'] },
    transitive: { 'body-parser': '1.20.1', ms: '2.1.3' },
    commit: COMMIT_A,
  });
  const next = path.join(dir, 'release-2');
  writeProject(next, {
    name: 'orders',
    version: '1.1.0',
    direct: { express: ['^4.19.0', '4.19.2'], lodash: ['^4.17.0', '4.17.21'], 'lru-cache': ['^10.0.0', '10.2.0'] },
    transitive: { 'body-parser': '1.20.2', ms: '2.1.3' },
    commit: COMMIT_B,
  });
  const children = [startProjectApp(healthy, ingest, HEALTHY_RUN, 0)];
  try {
    // The healthy release starts first, so "older first" puts it on the left of a comparison.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    children.push(startProjectApp(next, ingest, LEAKY_RUN, 64 * 1024));
    await waitFor('both runs judged per process', async () => {
      const judged = await Promise.all([HEALTHY_RUN, LEAKY_RUN].map(async (run) => {
        const res = await getJson<BootTrendsBody>(`${collectorUrl}/api/runs/${run}/boot-trends?${TREND_QUERY}`);
        const boot = res.body.boots?.[0];
        return res.status === 200 && boot !== undefined && boot.verdict !== 'inconclusive' && boot.toTs - boot.fromTs >= 20_000;
      }));
      return judged.every(Boolean);
    }, 120_000, 1000);
  } catch (err) {
    for (const child of children) child.kill('SIGKILL');
    throw err;
  }
  return children;
}
