// Errors are values with a place; the CLI maps them to exit codes (2 bad input, 3 dependency).
// Nothing below the CLI calls process.exit.

export class InputError extends Error {
  override readonly name = 'InputError';
  /** `file:line: detail`, or `file:line:col: detail` when a column is given (1-based, like the line). */
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
    readonly column?: number,
  ) {
    const col = line === undefined || column === undefined ? '' : `:${column}`;
    super(`${file}${line === undefined ? '' : `:${line}`}${col}: ${detail}`);
  }
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export class DependencyError extends Error {
  override readonly name = 'DependencyError';
}

export function exitCodeFor(err: unknown): number {
  const own = (err as { code?: unknown } | null)?.code;
  if (typeof own === 'number' && Number.isInteger(own)) return own;
  if (err instanceof InputError || err instanceof UsageError) return 2;
  if (err instanceof DependencyError) return 3;
  return 1;
}
