// Reading an input file the user named: its text, or one line saying why not (exit 2). Kept apart
// from the modules that parse what it reads, so a command that only reads a file loads nothing else.

import { readFile } from 'node:fs/promises';
import { InputError } from '../core/errors.js';

/** Reads an input file; a missing or unreadable file is bad input (exit 2), named plainly. */
export async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new InputError(file, undefined, `cannot read: ${why}`);
  }
}
