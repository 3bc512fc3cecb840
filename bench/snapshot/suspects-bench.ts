import fs from 'node:fs';
import path from 'node:path';
import { failureReason, lastJsonLine, runChild } from './child-runner';
import { ensureSeries, type DiffBenchOptions } from './diff-main';
import { formatBytes } from './report';
import type { SuspectsJobResult } from './suspects-job';

/**
 * The suspects step of `npm run bench:snapshot` (issue budget: after the last of three ~300 MB
 * snapshots of one process is stored, its suspects are ready in at most 2x the time our engine
 * takes to analyse that snapshot alone, with peak RSS at most 1.5x that analysis's).
 *
 * The snapshots are three of one generator process (`ensureSeries`: A, then B and C, each after
 * growing by a tenth), placed an hour apart. Each job runs in a fresh process (suspects-job.ts):
 *   1. analyse C alone (the baseline of the same run);
 *   2. the digests of the two earlier snapshots (what their own suspects steps store; not timed
 *      against the budget, which starts once the last snapshot is stored);
 *   3. the step after C: join the three snapshots' node indexes into the surviving types, read
 *      the stored digests, load C with all strings, digest, rank, paths.
 */
const TIME_BUDGET = 2;
const RSS_BUDGET = 1.5;
const HOUR = 3_600_000;

async function job(args: string[], timeoutMs: number): Promise<SuspectsJobResult> {
  const outcome = await runChild([path.join(__dirname, 'suspects-job.js'), ...args], { timeoutMs });
  const result = outcome.code === 0 ? lastJsonLine<SuspectsJobResult>(outcome.stdout) : null;
  if (!result) throw new Error(`suspects-job ${args[0]} failed: ${failureReason(outcome)}`);
  return { ...result, peakRssBytes: Math.max(result.peakRssBytes, outcome.sampledPeakRssBytes) };
}

/** An analysis that also writes the node index, as the collector's worker does (diff-child.ts). */
async function indexJob(file: string, out: string, rows: string, timeoutMs: number): Promise<void> {
  const outcome = await runChild([path.join(__dirname, 'diff-child.js'), 'analyze', file, rows, out], { timeoutMs });
  if (outcome.code !== 0) throw new Error(`diff-child analyze failed: ${failureReason(outcome)}`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Runs the suspects step and returns its printout. */
export async function runSuspectsBench(options: DiffBenchOptions): Promise<string> {
  const { a, b, c, info } = await ensureSeries(options);
  const work = fs.mkdtempSync(path.join(options.dir, 'suspects-'));
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    process.stdout.write(`  ${line}\n`);
  };
  try {
    say(`window: A (${formatBytes(info.fileBytes)}) at t, B (${formatBytes(info.second!.fileBytes)}) at t + 1 h, C (${formatBytes(info.third!.fileBytes)}, ${info.third!.nodeCount.toLocaleString('en-US')} nodes) at t + 2 h, one process`);
    const t0 = Date.now() - 2 * HOUR;
    const base = await job(['analyze', c], options.timeoutMs);
    say(`analyse C alone (baseline):        ${seconds(base.wallMs)}, peak RSS ${formatBytes(base.peakRssBytes)}`);
    const digests = [path.join(work, 'a.digest'), path.join(work, 'b.digest')];
    const first = await job(['digest', a, String(t0), digests[0]], options.timeoutMs);
    await job(['digest', b, String(t0 + HOUR), digests[1]], options.timeoutMs);
    say(`digest of A (an earlier snapshot): ${seconds(first.wallMs)}, ${first.containers} containers, ${(fs.statSync(digests[0]).size / 1024).toFixed(1)} KB stored`);
    // The node indexes the analyses of A, B and C leave beside them (what the collector keeps).
    const nodes = [a, b, c].map((file, i) => ({ file, out: path.join(work, `${i}.nodes`), at: t0 + i * HOUR }));
    for (const n of nodes) await indexJob(n.file, n.out, path.join(work, 'rows.json'), options.timeoutMs);
    const step = await job(['suspects', c, String(t0 + 2 * HOUR), ...digests, '--nodes', ...nodes.map((n) => `${n.out}@${n.at}`)], options.timeoutMs);
    const time = step.wallMs / base.wallMs;
    const rss = step.peakRssBytes / base.peakRssBytes;
    say(
      `suspects after C:                  ${seconds(step.wallMs)} (${time.toFixed(2)}x the analysis), peak RSS ${formatBytes(step.peakRssBytes)} (${rss.toFixed(2)}x); ` +
        `${step.suspects} suspect(s)${step.top ? `, top ${step.top.label} +${step.top.growth.toLocaleString('en-US')} — ${step.top.path}` : ''}`,
    );
    say(`  with the surviving types of the window's node indexes: top ${step.surviving ? `${step.surviving.type} +${step.surviving.count.toLocaleString('en-US')} (${formatBytes(step.surviving.selfSize)})` : 'none'}`);
    say(`budget (time <= ${TIME_BUDGET}x, peak RSS <= ${RSS_BUDGET}x the analysis of C): ${time <= TIME_BUDGET && rss <= RSS_BUDGET ? 'PASS' : 'FAIL'}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return `${lines.join('\n')}\n`;
}
