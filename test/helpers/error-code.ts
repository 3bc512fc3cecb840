import assert from 'node:assert/strict';
import { isLeakwatchError } from '../../src/shared/errors';

/** For assert.rejects / assert.throws: the error is a LeakwatchError with `code`. */
export function hasCode(code: string) {
  return (err: unknown): boolean => {
    assert.ok(isLeakwatchError(err), `expected a LeakwatchError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}
