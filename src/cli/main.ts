#!/usr/bin/env node
// shadowcast's command line: parses flags, calls the modules, maps errors to exit codes
// (0 ok, 1 run failed, 2 bad input or usage, 3 dependency unreachable, 4 a file or directory that
// cannot be used). No logic of its own.

import { CommanderError } from 'commander';
import { describeError, exitCodeFor } from '../core/errors.js';
import { redactText } from '../core/redact.js';
import { program } from './program.js';

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return 2;
    }
    // A last safeguard: no message, whatever its origin, prints a URL's credentials.
    process.stderr.write(`shadowcast: ${redactText(describeError(err))}\n`);
    if (exitCodeFor(err) !== 2 && process.env.SHADOWCAST_DEBUG)
      process.stderr.write(`${(err as Error).stack}\n`);
    return exitCodeFor(err);
  }
}

// `shadowcast risk score ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

void main(process.argv).then((code) => {
  process.exitCode = code;
});
