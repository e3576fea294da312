// Which process a pid names: locks and migrations record their holder's pid, host and process
// start time, because a pid alone is recycled (by an unrelated process, or by a restarted
// container's PID 1) and would keep a dead holder looking alive.

import fs from 'node:fs';
import { hostname } from 'node:os';

/** A process as a lock or a journal record names it. */
export interface ProcessId {
  pid: number;
  host: string;
  /** Opaque; equal only for the same process (see processStartTime). */
  startTime?: string;
}

/** Whether a process on this host still runs: `reused` is a live pid that now names another process. */
export type ProcessState = 'runs' | 'gone' | 'reused';

/**
 * When `pid` started, as an opaque token: on Linux, the boot id and the starttime field of
 * /proc/PID/stat (clock ticks since boot; the boot id tells one boot's ticks from another's).
 * Undefined where it cannot be read (not Linux, the process gone): callers fall back to the pid.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2, the command name, is in parentheses and may hold spaces: count from its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields[22 - 3];
  if (ticks === undefined || !/^\d+$/.test(ticks)) return undefined;
  const boot = bootId();
  return boot ? `${boot}:${ticks}` : ticks;
}

let boot: string | null | undefined;

function bootId(): string | undefined {
  if (boot === undefined) {
    try {
      boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      boot = null;
    }
  }
  return boot ?? undefined;
}

/** This process, as locks and records name it. */
export function thisProcess(): ProcessId {
  return { pid: process.pid, host: hostname(), startTime: processStartTime(process.pid) };
}

/** Whether the pid runs at all (EPERM: it runs, as someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process `p` names (on this host) still runs: same pid and, when both are known,
 * same start time. Without a recorded start time (an older lock or record) the pid decides alone.
 */
export function processState(p: ProcessId): ProcessState {
  if (!alive(p.pid)) return 'gone';
  if (p.startTime === undefined) return 'runs';
  const now = processStartTime(p.pid);
  if (now === undefined) return 'runs';
  return now === p.startTime ? 'runs' : 'reused';
}

/** The same process as this one (pid, host and, when recorded, start time). */
export function isThisProcess(p: ProcessId): boolean {
  const me = thisProcess();
  if (p.pid !== me.pid || p.host !== me.host) return false;
  return p.startTime === undefined || me.startTime === undefined || p.startTime === me.startTime;
}

/**
 * This host's processes as parent → children, from /proc (sync: called from crash points). Empty
 * where there is no /proc.
 */
export function processChildren(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return children;
  }
  for (const entry of entries) {
    try {
      // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

/** `roots` and every process under them, parents first. */
export function processTree(roots: readonly number[], children = processChildren()): number[] {
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  for (const root of roots) walk(root);
  return out;
}

/** SIGKILLs every process under this one (what it started, and what they started). */
export function killDescendants(): void {
  for (const pid of processTree([process.pid]).slice(1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
