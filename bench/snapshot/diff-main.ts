import fs from 'node:fs';
import path from 'node:path';
import { failureReason, lastJsonLine, runChild } from './child-runner';
import type { DiffChildResult } from './diff-child';
import type { GenerateResult } from './heap-child';
import { GENERATOR_VERSION } from './heap-model';
import { formatBytes } from './report';

/**
 * The diff step of `npm run bench:snapshot` (issue budget: a diff with #new / #deleted of two
 * analysed 300 MB snapshots answers in under 2 s). Object ids only match within one process, so
 * the two snapshots come from one generator process (heap-child.ts --second: the second after
 * growing by a tenth), cached like the others. Each job runs in a fresh process (diff-child.ts):
 *   1. analyse A alone, as `analyze` does (the baseline of the same run);
 *   2. analyse A and B with the node index, as the collector's worker does (what the index costs);
 *   3. the diff: read both indexes, merge them, build the rows.
 */

const BUDGET_MS = 2000;

export interface DiffBenchOptions {
  dir: string;
  targetMb: number;
  timeoutMs: number;
  regenerate: boolean;
}

export async function ensurePair(options: DiffBenchOptions): Promise<{ a: string; b: string; info: GenerateResult }> {
  fs.mkdirSync(options.dir, { recursive: true });
  const base = path.join(options.dir, `synthetic-${options.targetMb}mb-pair-g${GENERATOR_VERSION}-v8-${process.versions.v8}`);
  const [a, b, infoFile] = [`${base}-a.heapsnapshot`, `${base}-b.heapsnapshot`, `${base}.json`];
  if (!options.regenerate && fs.existsSync(a) && fs.existsSync(b) && fs.existsSync(infoFile)) {
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as GenerateResult;
    if (fs.statSync(a).size === info.fileBytes && fs.statSync(b).size === info.second?.fileBytes) return { a, b, info };
  }
  const [pa, pb] = [`${a}.partial`, `${b}.partial`];
  process.stdout.write(`generating two ${options.targetMb} MB snapshots of one process -> ${base}-{a,b}.heapsnapshot\n`);
  const heapMb = Math.max(4096, Math.ceil(options.targetMb * 3.5));
  const outcome = await runChild([`--max-old-space-size=${heapMb}`, path.join(__dirname, 'heap-child.js'), '--target-mb', String(options.targetMb), '--out', pa, '--second', pb], {
    timeoutMs: options.timeoutMs,
    echoStderr: true,
  });
  const info = outcome.code === 0 ? lastJsonLine<GenerateResult>(outcome.stdout) : null;
  if (!info?.second) throw new Error(`generating the snapshot pair failed: ${failureReason(outcome)}`);
  fs.writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  fs.renameSync(pa, a);
  fs.renameSync(pb, b);
  return { a, b, info };
}

async function job(args: string[], timeoutMs: number): Promise<DiffChildResult> {
  const outcome = await runChild([path.join(__dirname, 'diff-child.js'), ...args], { timeoutMs });
  const result = outcome.code === 0 ? lastJsonLine<DiffChildResult>(outcome.stdout) : null;
  if (!result) throw new Error(`diff-child ${args[0]} failed: ${failureReason(outcome)}`);
  return { ...result, peakRssBytes: Math.max(result.peakRssBytes, outcome.sampledPeakRssBytes) };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Runs the diff step and returns its printout. */
export async function runDiffBench(options: DiffBenchOptions): Promise<string> {
  const { a, b, info } = await ensurePair(options);
  const work = fs.mkdtempSync(path.join(options.dir, 'diff-'));
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    process.stdout.write(`  ${line}\n`);
  };
  try {
    say(`A ${formatBytes(info.fileBytes)} (${info.nodeCount.toLocaleString('en-US')} nodes), B ${formatBytes(info.second!.fileBytes)} (${info.second!.nodeCount.toLocaleString('en-US')} nodes), one process`);
    const f = (name: string) => path.join(work, name);
    const plain = await job(['analyze', a, f('plain.json')], options.timeoutMs);
    say(`analyse A, no index (baseline):   ${seconds(plain.wallMs)}, peak RSS ${formatBytes(plain.peakRssBytes)}`);
    const withA = await job(['analyze', a, f('a.json'), f('a.nodes')], options.timeoutMs);
    say(
      `analyse A with its node index:    ${seconds(withA.wallMs)} (${(withA.wallMs / plain.wallMs).toFixed(2)}x), peak RSS ${formatBytes(withA.peakRssBytes)} ` +
        `(${(withA.peakRssBytes / plain.peakRssBytes).toFixed(2)}x); index ${formatBytes(withA.indexBytes ?? 0)} (${((withA.indexBytes ?? 0) / withA.nodeCount!).toFixed(2)} bytes/node)`,
    );
    const withB = await job(['analyze', b, f('b.json'), f('b.nodes')], options.timeoutMs);
    say(`analyse B with its node index:    ${seconds(withB.wallMs)}, index ${formatBytes(withB.indexBytes ?? 0)}`);
    const diff = await job(['diff', f('a.json'), f('a.nodes'), f('b.json'), f('b.nodes')], options.timeoutMs);
    say(
      `diff A → B with #new / #deleted:  ${seconds(diff.wallMs)} = ${(diff.wallMs / BUDGET_MS).toFixed(3)} of the 2 s budget, ` +
        `${(diff.wallMs / plain.wallMs).toFixed(4)}x the analysis of A; peak RSS ${formatBytes(diff.peakRssBytes)}; ${diff.rows} rows, most new: ${diff.topNew?.type} +${diff.topNew?.newCount.toLocaleString('en-US')}`,
    );
    const verdict = diff.wallMs < BUDGET_MS ? 'PASS' : 'FAIL';
    say(`budget (diff of two analysed ${options.targetMb} MB snapshots < 2 s): ${verdict}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return `${lines.join('\n')}\n`;
}
