// One migration per pool at a time, across processes: a lock file per pool,
// STATE/locks/POOL.lock, created with O_EXCL and holding {pid, host, at, command, nonce}. A lock
// left by a process that died on this host (its pid no longer runs) is stale and taken over; a
// lock from another host is never judged stale here (its process cannot be checked), and must be
// removed by hand. A live lock makes the caller wait, up to a bound, then report the pool busy.
// The real backend has a second lock behind this one: Pulumi's stack lock refuses a second update
// of a stack while one runs, whatever runner asks.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

export interface LockInfo {
  pid: number;
  host: string;
  /** When it was taken (ISO, wall clock). */
  at: string;
  command: string;
  /** Tells this holder's lock from a later one at the same path. */
  nonce: string;
}

export interface AcquireOptions {
  /** How long to wait for a live lock to be released (real ms; default 0: do not wait). */
  waitMs?: number;
  /** How often to look again while waiting (default 200 ms). */
  pollMs?: number;
  command?: string;
}

export type Acquired =
  { lock: PoolLock; tookOver?: { stale: LockInfo; why: string } } | { busy: LockInfo | undefined };

export function lockFile(stateDir: string, pool: string): string {
  return join(stateDir, 'locks', `${pool}.lock`);
}

/** A torn lock (the holder died between creating and writing it) is stale once this old. */
const TORN_GRACE_MS = 5_000;

export class PoolLock {
  private constructor(
    readonly file: string,
    readonly info: LockInfo,
  ) {}

  static async acquire(stateDir: string, pool: string, options: AcquireOptions = {}): Promise<Acquired> {
    const file = lockFile(stateDir, pool);
    fs.mkdirSync(dirname(file), { recursive: true });
    const until = Date.now() + (options.waitMs ?? 0);
    let tookOver: { stale: LockInfo; why: string } | undefined;
    for (;;) {
      const info: LockInfo = {
        pid: process.pid,
        host: hostname(),
        at: new Date().toISOString(),
        command: options.command ?? process.argv.slice(2).join(' '),
        nonce: randomBytes(8).toString('hex'),
      };
      if (create(file, info)) {
        ours.add(info.nonce);
        return { lock: new PoolLock(file, info), tookOver };
      }
      const held = readLock(file);
      if (held === 'gone') continue;
      const why = staleness(file, held);
      if (why) {
        const stale = held === 'torn' ? undefined : held;
        if (takeOver(file, stale)) {
          tookOver = { stale: stale ?? { pid: 0, host: '?', at: '?', command: '?', nonce: '' }, why };
        }
        continue;
      }
      if (Date.now() >= until) return { busy: held === 'torn' ? undefined : held };
      await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
    }
  }

  /** Still ours: the file at the path is the one this holder created. */
  held(): boolean {
    const now = readLock(this.file);
    return typeof now === 'object' && now.nonce === this.info.nonce;
  }

  release(): void {
    if (this.held()) fs.rmSync(this.file, { force: true });
    ours.delete(this.info.nonce);
  }
}

function create(file: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, `${JSON.stringify(info)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function readLock(file: string): LockInfo | 'torn' | 'gone' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info.pid === 'number' && typeof info.nonce === 'string' ? info : 'torn';
  } catch {
    return 'torn';
  }
}

/** Why the lock is stale, or undefined while its holder may still run. */
function staleness(file: string, held: LockInfo | 'torn'): string | undefined {
  if (held === 'torn') {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) return undefined;
    const age = Date.now() - stat.mtimeMs;
    return age > TORN_GRACE_MS
      ? `the lock file is empty or torn and ${Math.round(age / 1000)} s old`
      : undefined;
  }
  if (held.host !== hostname()) return undefined;
  // Our own pid but not a lock we took: an earlier process that had this pid (a restarted
  // container's PID 1 gets the same pid every time), so it no longer runs.
  if (held.pid === process.pid && !ours.has(held.nonce)) {
    return `pid ${held.pid} on ${held.host} is this process, which did not take it: an earlier process with the same pid (a restarted container) left it`;
  }
  return alive(held.pid) ? undefined : `pid ${held.pid} on ${held.host} no longer runs`;
}

/** Nonces of the locks this process holds. */
const ours = new Set<string>();

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the stale lock aside (rename is atomic: of two processes taking over, one gets it) and
 * checks it moved the lock it judged stale; a fresh lock moved by mistake goes back.
 */
function takeOver(file: string, stale: LockInfo | undefined): boolean {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = readLock(aside);
  const same =
    stale === undefined ? moved === 'torn' : typeof moved === 'object' && moved.nonce === stale.nonce;
  if (!same) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Someone took the path meanwhile: their lock stands, and this one's holder finds it gone.
    }
  }
  fs.rmSync(aside, { force: true });
  return same;
}
