/**
 * The audit trail: who changed which document, kept for the end-of-day compliance report.
 *
 * THE LEAK: `remember()` appends every entry to the module-level `auditTrail` array and nothing
 * ever drains it (the nightly export that was meant to ship and clear it was never written).
 * Each AuditEntry keeps a copy of the document as it was before the edit, one flat JSON string
 * of about 1.7 KB, so the heap floor rises by about 170 KB/s at 100 edits/s.
 */

/** One audited edit. A class, so it shows under its own name in a heap snapshot. */
export class AuditEntry {
  readonly recordedAt = Date.now();
  /** The edit as the report prints it, with the document's text before the change. */
  readonly record: string;

  constructor(readonly editor: string, readonly action: string, before: string) {
    this.record = JSON.stringify({ editor, action, at: new Date(this.recordedAt).toISOString(), before });
  }
}

/** Every entry since the process started, oldest first. */
const auditTrail: AuditEntry[] = [];

/** Keeps an entry for the report: the growing push. */
export function remember(entry: AuditEntry): void {
  auditTrail.push(entry);
}

export function auditedCount(): number {
  return auditTrail.length;
}
