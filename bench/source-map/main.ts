import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSourceMapResolver } from '../../src/collector/source-maps';
import type { GeneratedLocation } from '../../src/collector/source-maps';
import { createSeededRandom } from '../../support/seeded-random';
import { writeBigMap } from './big-map';
import { formatReport, type ResolveRound } from './report';

/**
 * `npm run bench:source-map`: the collector's resolver on a ~5 MB source map (generated
 * deterministically, bench/source-map/big-map.ts). Per round, a new resolver resolves 10,000
 * locations spread over the whole map (cold: the script's tail read, the map read and parsed
 * by source-map's WebAssembly consumer, the lookups), then the same again (warm); the baseline is
 * reading and JSON.parse-ing the same file in the same round. Not a test: it prints figures.
 */
const LOCATIONS = 10_000;
const ROUNDS = 5;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-bench-source-map-'));
  try {
    const map = writeBigMap(dir, 5 * 1024 * 1024);
    const random = createSeededRandom(7);
    const locations: GeneratedLocation[] = Array.from({ length: LOCATIONS }, () => ({
      url: map.script,
      line: 1 + Math.floor(random() * map.lines),
      col: 1 + Math.floor(random() * 200),
      fn: 'f',
    }));
    const rounds: ResolveRound[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let started = performance.now();
      JSON.parse(fs.readFileSync(map.mapFile, 'utf8'));
      const baselineMs = performance.now() - started;
      const resolver = createSourceMapResolver({ cwd: dir });
      started = performance.now();
      const resolved = await resolver.resolve('bench', locations);
      const coldMs = performance.now() - started;
      started = performance.now();
      await resolver.resolve('bench', locations);
      const warmMs = performance.now() - started;
      resolver.close();
      rounds.push({ baselineMs, coldMs, warmMs, mapped: resolved.filter((l) => l.mapped).length });
    }
    const report = formatReport({ mapBytes: map.mapBytes, lines: map.lines, locations: LOCATIONS, rounds });
    process.stdout.write(`${report.text}\n`);
    if (!report.withinBudget) process.exitCode = 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
