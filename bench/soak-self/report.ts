import type { RunBody, VerdictBody } from '../../src/api/http-contract';
import type { SnapshotRecord } from '../../src/shared/snapshot-data';
import type { SignalResult } from '../../src/trend/trend-model';
import type { SimulatedProbe } from '../ingest/simulated-probe';
import type { RssVerdict } from './rss-verdict';
import type { SoakSchedule } from './schedule';

export interface SoakReport {
  schedule: SoakSchedule;
  restarts: number;
  app: VerdictBody;
  run: RunBody;
  snapshots: SnapshotRecord[];
  rss: RssVerdict;
  probes: readonly SimulatedProbe[];
  /** Samples the store holds for the simulated probes' runs (one per batch). */
  simulatedSamples: number;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const min = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function signalLine(s: SignalResult): string {
  return `    ${s.verdict.padEnd(12)} ${s.reason}; level ${mb(s.startLevel)} -> ${mb(s.endLevel)}, ${s.points} points, confidence ${(s.confidence * 100).toFixed(0)} %`;
}

export function formatSoakReport(r: SoakReport): string {
  const { schedule: s, app, rss } = r;
  const sum = (pick: (p: SimulatedProbe) => number) => r.probes.reduce((total, p) => total + pick(p), 0);
  const statuses = new Map<string, number>();
  for (const snap of r.snapshots) statuses.set(snap.status, (statuses.get(snap.status) ?? 0) + 1);
  const lines = [
    `leakwatch soak:self: ${min(s.durationMs)}, collector restarted every ${min(s.restartEveryMs)} (${r.restarts} restarts), app snapshot every ${min(s.snapshotEveryMs)}`,
    `  app: ${s.app} with the probe; ${int(r.run.run.sampleCount)} samples stored; ${r.snapshots.length} snapshots (${[...statuses].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'})`,
    `  collector: leakwatch collect with ${r.probes.length} simulated probes: ${int(sum((p) => p.sent))} batches sent, ${int(sum((p) => p.acked))} acknowledged, ${int(sum((p) => p.unacked))} unacknowledged at the end, ${int(sum((p) => p.dropped))} dropped, ${int(sum((p) => p.reconnects))} reconnects;`,
    `    ${int(r.simulatedSamples)} of their samples stored${r.simulatedSamples === sum((p) => p.sent) ? ' (nothing lost across the restarts)' : ` (${int(sum((p) => p.sent) - r.simulatedSamples)} MISSING)`}`,
    '  (measured on a shared machine: other work runs beside it)',
    '',
    `app (the collector's verdict, GET /api/runs/:id/verdict, as leakwatch check gives it): ${app.verdict}; heap floor: ${app.signals.find((sig) => sig.signal === 'heap floor')?.verdict ?? 'not judged'}`,
    ...(app.signals.length > 0 ? app.signals.map(signalLine) : app.reasons.map((reason) => `    ${reason}`)),
    '',
    `collector RSS (/proc/<pid>/status each second, judged per lifetime after its warm-up): ${rss.verdict}`,
    ...rss.lifetimes.map((l) => `  lifetime ${l.lifetime} (pid ${l.pid}, ${min(l.spanMs)}, ${min(l.judgedMs)} judged, peak ${mb(l.peakRss)}):\n${signalLine(l.result)}`),
    '',
    `leakwatch does not leak: ${app.verdict === 'no-leak' && rss.verdict === 'no-leak' ? 'no-leak on both' : `app ${app.verdict}, collector ${rss.verdict}`}`,
  ];
  return lines.join('\n');
}
