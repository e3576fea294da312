// Errors are values with a place; the CLI maps them to exit codes (1 a run failed, 2 bad input,
// 3 dependency, 4 the machine: a file or directory that cannot be read or written). Nothing below
// the CLI calls process.exit.

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

/** A file or directory the process cannot use (permissions, a full or read-only disk): not a failed run. */
export const EXIT_FILESYSTEM = 4;

export function exitCodeFor(err: unknown): number {
  const own = (err as { code?: unknown } | null)?.code;
  if (typeof own === 'number' && Number.isInteger(own)) return own;
  if (err instanceof InputError || err instanceof UsageError) return 2;
  if (err instanceof DependencyError) return 3;
  if (fileSystemError(err)) return EXIT_FILESYSTEM;
  return 1;
}

/** The one line a user reads for an error: a file system error names what it did and the path. */
export function describeError(err: unknown): string {
  if (fileSystemError(err)) {
    const reason = REASONS[err.code] ?? err.message.replace(/^[A-Z]+: /, '').split(',')[0];
    const what = ACTIONS[err.syscall] ?? err.syscall;
    const dest = err.dest ? ` to ${err.dest}` : '';
    return `cannot ${what} ${err.path}${dest}: ${reason} (${err.code})`;
  }
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

type FsError = NodeJS.ErrnoException & { code: string; syscall: string; path: string; dest?: string };

/** Node's errors from a file system call carry the call and the path (network errors carry neither path). */
function fileSystemError(err: unknown): err is FsError {
  const e = err as Partial<NodeJS.ErrnoException> | null;
  return (
    typeof e?.code === 'string' &&
    typeof e.syscall === 'string' &&
    typeof e.path === 'string' &&
    e.syscall in ACTIONS
  );
}

const ACTIONS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  close: 'close',
  mkdir: 'create directory',
  mkdtemp: 'create directory',
  scandir: 'list directory',
  opendir: 'list directory',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove directory',
  rm: 'remove',
  stat: 'read',
  lstat: 'read',
  access: 'access',
  fsync: 'sync',
  copyfile: 'copy',
  chmod: 'change the mode of',
  link: 'link',
  symlink: 'link',
  readlink: 'read link',
  utime: 'touch',
  ftruncate: 'truncate',
  truncate: 'truncate',
};

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
};
