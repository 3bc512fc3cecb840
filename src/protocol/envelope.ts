/**
 * The fields every probe message carries (see messages.ts for what they mean): `run`, `boot`
 * and `seq` let the collector acknowledge exactly what it stored. Its own module so that both
 * message families (messages.ts and snapshot-messages.ts) build on it without importing each other.
 */
export interface Envelope {
  v: number;
  type: string;
  run: string;
  boot: string;
  seq: number;
}
