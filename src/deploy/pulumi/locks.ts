// Who holds a stack's lock, as a DIY backend (file://, s3://, ...) tells it, and whether that
// holder can be proven gone. The deployer cancels a lock only when every holder is provably gone:
// `pulumi cancel` on a DIY backend deletes every lock file of the stack, a live runner's included.

import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { processChildren, processTree } from '../process.js';

/** One DIY lock file: `<url>: created by <user>@<host> (pid <pid>) at <time>`. */
export interface LockHolder {
  user: string;
  host: string;
  /** The pid of the `pulumi` CLI process that took the lock (not of the program driving it). */
  pid: number;
  /** When the lock was taken, as the CLI wrote it (RFC 3339). */
  since: string;
  /** The lock file's URL. */
  lock: string;
}

// pkg/backend/diy/lock.go: "\n  %v: created by %v@%v (pid %v) at %v"
const HOLDER = /^\s*(\S+): created by (.*)@([^@\s]+) \(pid (-?\d+)\) at (\S+)\s*$/gm;

/**
 * The holders named in a lock conflict message, each once. A Pulumi Cloud conflict ("[409]
 * Conflict: Another update is currently in progress.") names none: its holder cannot be inspected.
 */
export function parseLockHolders(message: string): LockHolder[] {
  const byLock = new Map<string, LockHolder>();
  for (const m of message.matchAll(HOLDER)) {
    const [, lock, user, host, pid, since] = m;
    if (!byLock.has(lock!))
      byLock.set(lock!, { lock: lock!, user: user!, host: host!, pid: Number(pid), since: since! });
  }
  return [...byLock.values()];
}

export function describeHolders(holders: readonly LockHolder[]): string {
  if (holders.length === 0) return 'the backend does not say who holds it';
  return holders.map((h) => `${h.user}@${h.host} (pid ${h.pid}) since ${h.since}`).join('; ');
}

/** Whether a lock holder is provably gone; anything it cannot prove counts as alive. */
export type StaleLockCheck = (holder: LockHolder) => boolean | Promise<boolean>;

export interface HostView {
  hostname: string;
  /** Whether `pid` is a running `pulumi` process on this host. */
  running(pid: number): Promise<boolean>;
}

/**
 * A lock is stale when the CLI that took it ran on this host (the hostname the CLI recorded) and
 * no longer runs. A lock from another host is never stale to us: we cannot see its processes, and
 * DIY locks have no lease or expiry. So a runner that crashes restarts into its own stale lock and
 * recovers; a lock from a crashed runner elsewhere waits for `pulumi cancel` by a person (or by a
 * caller that knows, e.g. from its journal, that the step was its own).
 */
export function staleOnThisHost(view: HostView = thisHost()): StaleLockCheck {
  return async (holder) => {
    if (holder.host !== view.hostname || !(holder.pid > 0)) return false;
    return !(await view.running(holder.pid));
  };
}

export function thisHost(): HostView {
  return { hostname: hostname(), running: runningPulumi };
}

/**
 * Whether pid runs, and (where /proc can say) runs a `pulumi` binary: a pid reused by some other
 * process since the crash does not hold the lock. EPERM means it runs under another user.
 */
async function runningPulumi(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return /pulumi/.test(cmdline);
  } catch {
    // No /proc (macOS) or not readable: it runs, and we cannot say it is not pulumi.
    return true;
  }
}

/**
 * SIGKILLs the `pulumi` CLI processes this process started on `stack` (children whose command
 * line is `pulumi ... --stack STACK`), with every process under them (its language host, the
 * program, provider plugins: a killed CLI would leave them running), found in /proc; the CLIs'
 * pids. Where there is no /proc (macOS) it finds none, and a hung update is left to `pulumi
 * cancel` alone.
 */
export async function killOwnCli(stack: string): Promise<number[]> {
  const children = processChildren();
  const clis: number[] = [];
  for (const pid of children.get(process.pid) ?? []) {
    try {
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      const at = argv.indexOf('--stack');
      if (/(^|\/)pulumi$/.test(argv[0] ?? '') && at >= 0 && argv[at + 1] === stack) clis.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  for (const pid of processTree(clis, children)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return clis;
}
