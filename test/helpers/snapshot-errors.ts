import assert from 'node:assert/strict';
import { isLeakwatchError, type ErrorCode } from '../../src/shared/errors';

/**
 * Runs `load` and asserts it fails with a LeakwatchError whose code is one of `codes` and whose
 * message is a single non-empty line (it ends up in `leakwatch: LW_ERR_X: message`). Returns the
 * error for further checks.
 */
export async function expectSnapshotError(what: string, codes: readonly ErrorCode[], load: () => unknown): Promise<{ code: ErrorCode; message: string }> {
  let outcome: unknown;
  try {
    outcome = await load();
  } catch (err) {
    assert.ok(isLeakwatchError(err), `${what}: expected a LeakwatchError (${codes.join(' or ')}), got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    assert.ok(codes.includes(err.code), `${what}: expected ${codes.join(' or ')}, got ${err.code}: ${err.message}`);
    assertOneLine(what, err.message);
    return { code: err.code, message: err.message };
  }
  assert.fail(`${what}: expected ${codes.join(' or ')}, but it loaded (${describe(outcome)})`);
}

export function assertOneLine(what: string, message: string): void {
  assert.ok(message.length > 0, `${what}: the message is not empty`);
  assert.ok(!/[\r\n]/.test(message), `${what}: the message is one line: ${JSON.stringify(message)}`);
}

function describe(value: unknown): string {
  if (value && typeof value === 'object' && 'nodeCount' in value) return `nodeCount ${(value as { nodeCount: unknown }).nodeCount}`;
  return typeof value;
}
