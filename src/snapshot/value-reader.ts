/**
 * A reader of one top-level value of the snapshot (the header, a number array, the strings, or a
 * value to skip). The parser (snapshot-parser.ts) hands it the byte stream piece by piece until it
 * says the value has ended; each reader keeps its own state across pieces, in constant memory.
 */
export interface ValueReader {
  /**
   * Reads buf[start .. end); `base` is the file offset of buf[0], for error messages. Returns
   * the index of the first byte it did not take: `end` while the value goes on, or where the
   * value ended (then `done` is true and the rest belongs to the parser again).
   */
  feed(buf: Buffer, start: number, end: number, base: number): number;
  readonly done: boolean;
}

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
