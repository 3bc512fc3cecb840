import { LeakwatchError } from '../shared/errors';

/**
 * ClickHouse's JSON output quotes 64-bit integers as strings on the HTTP transport
 * (`output_format_json_quote_64bit_integers`) but not always on the embedded one, so every
 * number read back is normalised here, at the store boundary, and nothing above sees a string.
 */
export function toNumber(value: unknown, field: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) {
    throw new LeakwatchError('LW_ERR_STORE', `unexpected value for ${field} from ClickHouse: ${JSON.stringify(value)?.slice(0, 40)}`, { userError: false });
  }
  return n;
}

export function toNullableNumber(value: unknown, field: string): number | null {
  return value === null || value === undefined ? null : toNumber(value, field);
}
