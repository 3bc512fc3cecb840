import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcStat } from '../src/cli/process-tree';

test('/proc/<pid>/stat: the fields after the command name, whatever the name holds', () => {
  // A process may name itself anything (prctl PR_SET_NAME, up to 15 bytes): spaces and ")" included.
  assert.deepEqual(parseProcStat('4242 (a) b (c)) S 17 4240 4200 0 -1 4194560 100 0 0 0'), { pid: 4242, state: 'S', ppid: 17, pgrp: 4240, session: 4200 });
  assert.deepEqual(parseProcStat('7 (node) Z 1 7 7 0 -1'), { pid: 7, state: 'Z', ppid: 1, pgrp: 7, session: 7 });
  assert.equal(parseProcStat(''), undefined);
  assert.equal(parseProcStat('12 no-parentheses S 1 1 1'), undefined);
});
