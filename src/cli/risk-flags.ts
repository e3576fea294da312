// Flag parsers of the risk commands, apart from the commands, so that building the command line
// loads none of the risk code.

import { UsageError } from '../core/errors.js';

export function parseCoupling(text: string): number {
  const v = Number(text);
  if (!(text.trim() !== '' && v >= 0 && Number.isFinite(v)))
    throw new UsageError(`--coupling "${text}": expected a number >= 0, e.g. 0.5`);
  return v;
}
