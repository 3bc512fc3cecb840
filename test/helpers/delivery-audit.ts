import { selectRows, type StoreContext } from '../../src/store/store-context';

/** What one boot of a probe sent, compared with what the store holds. */
export interface DeliveryAudit {
  run: string;
  boot: string;
  /** Seqs that should have rows: 1..lastSeq without `withoutRows`. */
  expected: number;
  /** Distinct seqs with rows, as the queries see them (FINAL). */
  stored: number;
  /** Expected seqs with no rows at all. */
  missing: number[];
  /** Seqs whose rows a query would count more than once (FINAL could not collapse them). */
  duplicates: { seq: number; rows: number }[];
  /** Rows on disk beyond one per seq before merges (retries that ReplacingMergeTree will collapse): information, not a failure. */
  unmergedCopies: number;
  /** How many messages the probe recorded as dropped (gaps); the audit passes when missing == gaps. */
  recordedGaps: number;
  ok: boolean;
}

export interface AuditTarget {
  run: string;
  boot: string;
  /** The probe's last seq with rows (its stats' lastSeq, less the bye when it said one). */
  lastSeq: number;
  /** Messages the probe reported dropping while its buffer was full (a gap). */
  recordedGaps?: number;
  /** Seqs of messages that carry no rows (snapshot statuses, source maps...). */
  withoutRows?: readonly number[];
}

/**
 * The delivery audit of a fault test: for one boot, the seqs the probe sent against the seqs
 * stored, through a connection of its own (the store under test may be the faulty one). Samples,
 * allocation profiles and the lineage carry rows; each batch holds one sample, so a seq stored twice in the
 * samples table is a duplicate a query would count.
 */
export async function auditDelivery(ctx: StoreContext, target: AuditTarget): Promise<DeliveryAudit> {
  const params = { run: target.run, boot: target.boot };
  const seen = async (final: boolean) => {
    const counts = new Map<number, number>();
    for (const table of [ctx.tables.samples, ctx.tables.allocSites, ctx.tables.lineage]) {
      const rows = await selectRows(ctx, 'audit', `SELECT seq, count() AS n FROM ${table} ${final ? 'FINAL' : ''} WHERE run_id = {run:String} AND boot = {boot:String} GROUP BY seq`, params);
      for (const row of rows) counts.set(Number(row.seq), (counts.get(Number(row.seq)) ?? 0) + Number(row.n));
    }
    return counts;
  };
  const visible = await seen(true);
  const onDisk = await seen(false);
  const skip = new Set(target.withoutRows ?? []);
  const missing: number[] = [];
  let expected = 0;
  for (let seq = 1; seq <= target.lastSeq; seq++) {
    if (skip.has(seq)) continue;
    expected++;
    if (!visible.has(seq)) missing.push(seq);
  }
  // A sample row per batch; an allocation profile has one row per site, so only samples can tell a repeat.
  const sampleRows = await selectRows(ctx, 'audit', `SELECT seq, count() AS n FROM ${ctx.tables.samples} FINAL WHERE run_id = {run:String} AND boot = {boot:String} GROUP BY seq HAVING n > 1`, params);
  const duplicates = sampleRows.map((r) => ({ seq: Number(r.seq), rows: Number(r.n) }));
  let unmergedCopies = 0;
  for (const [seq, n] of onDisk) unmergedCopies += n - (visible.get(seq) ?? 0);
  const recordedGaps = target.recordedGaps ?? 0;
  return {
    run: target.run,
    boot: target.boot,
    expected,
    stored: [...visible.keys()].filter((seq) => seq >= 1 && seq <= target.lastSeq).length,
    missing,
    duplicates,
    unmergedCopies,
    recordedGaps,
    ok: missing.length === recordedGaps && duplicates.length === 0,
  };
}
