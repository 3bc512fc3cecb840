import { Command, CommanderError } from 'commander';
import { formatErrorLine, isLeakwatchError } from '../shared/errors';
import { analyzeCommand } from './analyze-command';
import { checkCommand } from './check-command';
import { collectCommand } from './collect-command';
import { compareCommand } from './compare-command';
import { diffCommand } from './diff-command';
import { runCommand } from './run-command';
import { runsCommand } from './runs-command';
import { snapshotCommand } from './snapshot-command';

/** Exit code for user errors: distinct from `check`'s 0 (no leak), 1 (leak), 2 (inconclusive). */
export const USER_ERROR_EXIT_CODE = 64;

export function buildProgram(): Command {
  const program = new Command('leakwatch')
    .description('long-running memory-leak profiler for Node.js')
    .version(require('../../../package.json').version as string)
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  for (const sub of [runCommand(), collectCommand(), runsCommand(), snapshotCommand(), diffCommand(), analyzeCommand(), checkCommand(), compareCommand()]) {
    program.addCommand(sub.exitOverride().configureOutput({ outputError: () => {} }));
  }
  return program;
}

/**
 * Entry of the `leakwatch` bin. A user error prints one line `leakwatch: LW_ERR_X: …` and exits
 * 64; an unexpected error is a bug and keeps its stack trace.
 */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      process.stderr.write(`leakwatch: LW_ERR_USAGE: ${err.message.replace(/^error: /, '')} (see leakwatch --help)\n`);
      process.exitCode = USER_ERROR_EXIT_CODE;
      return;
    }
    if (isLeakwatchError(err) && err.userError) {
      process.stderr.write(`leakwatch: ${formatErrorLine(err)}\n`);
      process.exitCode = USER_ERROR_EXIT_CODE;
      return;
    }
    process.stderr.write(`leakwatch: internal error (please report): ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  }
}
