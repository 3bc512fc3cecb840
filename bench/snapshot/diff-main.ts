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
 * the two snapshots come from one generator process (the first two of `ensureSeries`: each after
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

/**
 * Three snapshots of one generator process, each after growing by a tenth (cached): the diff
 * step compares the first two, the suspects step ranks over all three.
 */
export async function ensureSeries(options: DiffBenchOptions): Promise<{ a: string; b: string; c: string; info: GenerateResult }> {
  fs.mkdirSync(options.dir, { recursive: true });
  const base = path.join(options.dir, `synthetic-${options.targetMb}mb-series-g${GENERATOR_VERSION}-v8-${process.versions.v8}`);
  const [a, b, c, infoFile] = [`${base}-a.heapsnapshot`, `${base}-b.heapsnapshot`, `${base}-c.heapsnapshot`, `${base}.json`];
  if (!options.regenerate && [a, b, c, infoFile].every((file) => fs.existsSync(file))) {
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as GenerateResult;
    const sizes = [fs.statSync(a).size, fs.statSync(b).size, fs.statSync(c).size];
    if (sizes[0] === info.fileBytes && sizes[1] === info.second?.fileBytes && sizes[2] === info.third?.fileBytes) return { a, b, c, info };
  }
  const [pa, pb, pc] = [`${a}.partial`, `${b}.partial`, `${c}.partial`];
  process.stdout.write(`generating three ${options.targetMb} MB snapshots of one process -> ${base}-{a,b,c}.heapsnapshot\n`);
  const heapMb = Math.max(4096, Math.ceil(options.targetMb * 3.5));
  const outcome = await runChild(
    [`--max-old-space-size=${heapMb}`, path.join(__dirname, 'heap-child.js'), '--target-mb', String(options.targetMb), '--out', pa, '--second', pb, '--third', pc],
    { timeoutMs: options.timeoutMs, echoStderr: true },
  );
  const info = outcome.code === 0 ? lastJsonLine<GenerateResult>(outcome.stdout) : null;
  if (!info?.second || !info.third) throw new Error(`generating the snapshot series failed: ${failureReason(outcome)}`);
  fs.writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  fs.renameSync(pa, a);
  fs.renameSync(pb, b);
  fs.renameSync(pc, c);
  return { a, b, c, info };
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
  const { a, b, info } = await ensureSeries(options);
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
