import { crc32 } from 'node:zlib';
import type { HelloMessage } from '../../protocol/messages';
import type { RowBatch } from '../../store/store-interface';

/** One sender's rows of one flush: the unit the spool writes, checks and replays. */
export interface SpoolRecord {
  /** `run/boot` of the probe the rows came from, so a record the store refuses names its sender. */
  sender: string;
  rows: RowBatch;
  /** A hello whose run row the store could not take: replayed as that upsert, before later records. */
  hello?: HelloMessage;
}

/*
 * On disk a record is `magic | payload length | crc32(payload) | payload (JSON)`, all integers
 * big-endian u32. The magic lets a reader tell a zero-filled or overwritten tail from a record;
 * the length and the checksum catch a torn write (power cut between write and fsync).
 */
const MAGIC = 0x4c575350; // "LWSP"
export const RECORD_HEADER_BYTES = 12;

export function encodeRecord(record: SpoolRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32BE(payload.length, 4);
  header.writeUInt32BE(crc32(payload), 8);
  return Buffer.concat([header, payload]);
}

export interface DecodedSegment {
  records: SpoolRecord[];
  /** Bytes of whole, valid records from the start; the rest of the buffer (if any) is damaged. */
  validBytes: number;
  /** Why the reading stopped before the end, when it did. */
  damage?: string;
}

/** Reads records until the end or the first damaged one; what follows a damaged record is not trusted. */
export function decodeSegment(buf: Buffer): DecodedSegment {
  const records: SpoolRecord[] = [];
  let at = 0;
  const stop = (damage: string): DecodedSegment => ({ records, validBytes: at, damage });
  while (at < buf.length) {
    if (buf.length - at < RECORD_HEADER_BYTES) return stop(`torn header at byte ${at}`);
    if (buf.readUInt32BE(at) !== MAGIC) return stop(`no record marker at byte ${at}`);
    const length = buf.readUInt32BE(at + 4);
    const start = at + RECORD_HEADER_BYTES;
    if (start + length > buf.length) return stop(`torn record at byte ${at} (${length} bytes announced, ${buf.length - start} present)`);
    const payload = buf.subarray(start, start + length);
    if (crc32(payload) !== buf.readUInt32BE(at + 8)) return stop(`checksum mismatch at byte ${at}`);
    let record: SpoolRecord;
    try {
      record = JSON.parse(payload.toString('utf8')) as SpoolRecord;
    } catch {
      return stop(`unreadable record at byte ${at}`);
    }
    if (typeof record?.sender !== 'string' || !Array.isArray(record.rows?.samples)) return stop(`malformed record at byte ${at}`);
    records.push(record);
    at = start + length;
  }
  return { records, validBytes: at };
}
