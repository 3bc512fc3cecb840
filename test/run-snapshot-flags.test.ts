import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStandInCollector } from '../support/stand-in-collector';
import { runCli, startCli } from './helpers/cli';
import { makeTempDir } from './helpers/temp-dir';
import { waitFor } from './helpers/wait-for';

test('leakwatch run --snapshot-every reaches the probe in the command: scheduled snapshots are uploaded', { timeout: 120_000 }, async () => {
  const collector = await createStandInCollector();
  const temp = makeTempDir('run-snapshot');
  // The command idles for up to a minute; the flags alone must make its probe take snapshots.
  const cli = startCli(
    ['run', '--collector', collector.httpUrl, '--interval', '200ms', '--snapshot-every', '1s', '--snapshot-on-growth', '50%', '--snapshot-near-limit', '0.95', '--', process.execPath, '-e', 'setTimeout(() => {}, 60000)'],
    { LEAKWATCH_SNAPSHOT_DIR: temp.dir },
  );
  try {
    await waitFor('two stored snapshots', () => collector.uploads.filter((u) => u.stored).length >= 2, 60_000);
    const stored = collector.uploads.filter((u) => u.stored);
    assert.ok(stored.every((u) => u.begin!.trigger === 'schedule'));
    const capturing = collector.statuses().filter((s) => s.state === 'capturing');
    assert.ok(capturing.length >= 2 && capturing.every((s) => s.trigger === 'schedule' && s.requestId === ''));
    // The command's probe saw the run's id from `leakwatch run`.
    const hello = collector.messages.find((m) => m.type === 'hello')!;
    assert.equal(stored[0]!.begin!.run, hello.run);
    process.kill(hello.pid, 'SIGTERM');
    await cli.exited;
    assert.equal(cli.stderr().includes('LW_ERR_CONFIG'), false, cli.stderr());
  } finally {
    cli.child.kill('SIGKILL');
    await collector.close();
    temp.remove();
  }
});

test('bad snapshot flags are one-line config errors before anything starts', { timeout: 60_000 }, async () => {
  for (const [flag, value, pattern] of [
    ['--snapshot-every', '10ms', /--snapshot-every: must be 0 \(off\) or at least 1s, got "10ms"/],
    ['--snapshot-every', 'often', /--snapshot-every: expected a duration/],
    ['--snapshot-on-growth', 'lots', /--snapshot-on-growth: expected a share/],
    ['--snapshot-near-limit', '150%', /--snapshot-near-limit: expected a share above 0 and at most 100%/],
  ] as const) {
    const { code, stderr } = await runCli(['run', '--collector', 'http://127.0.0.1:9', flag, value, '--', process.execPath, '-e', '0']);
    assert.equal(code, 64, `${flag} ${value}: ${stderr}`);
    assert.match(stderr, /^leakwatch: LW_ERR_CONFIG: /);
    assert.match(stderr, pattern);
    assert.equal(stderr.trim().split('\n').length, 1);
  }
});
