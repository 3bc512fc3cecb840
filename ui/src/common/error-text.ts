import type { ErrorCode } from '../../../src/api';
import { ApiError } from './collector-api';

/**
 * The code and message a page shows for an error: the collector's (or the API client's) code
 * for an ApiError, `LW_ERR_UI` for anything the page itself threw.
 */
export function errorText(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  return { code: 'LW_ERR_UI', message: err instanceof Error ? err.message : String(err) };
}
