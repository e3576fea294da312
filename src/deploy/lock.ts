// One migration per pool at a time, across processes: a lock file per pool, STATE/locks/POOL.lock
// (mode 0600), created with O_EXCL and holding {pid, host, startTime, at, leaseUntil, command,
// nonce}. On this host a lock is stale once its process is gone: its pid no longer runs, or now
// names another process (a different start time). A lock from another host cannot be checked
// that way: its holder renews a lease while it holds it, and it is stale once the lease expired.
// A live lock makes the caller wait, up to a bound, then report the pool busy. The real backend
// has a second lock behind this one: Pulumi's stack lock refuses a second update of a stack.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { type ProcessId, processState, thisProcess } from './process.js';

export { alive } from './process.js';

export interface LockInfo extends ProcessId {
  /** When it was taken (ISO, wall clock). */
  at: string;
  /** Until when its holder vouches for it (ISO, wall clock), renewed while held; older locks have none. */
  leaseUntil?: string;
  /** The subcommand it was taken for (`apply`, `run`): never the rest of the command line, which may hold secrets. */
  command: string;
  /** Tells this holder's lock from a later one at the same path. */
  nonce: string;
}

export interface AcquireOptions {
  /** How long to wait for a live lock to be released (real ms; default 0: do not wait). */
  waitMs?: number;
  /** How often to look again while waiting (default 200 ms). */
  pollMs?: number;
  /** The command line it is taken for (default: this process's); only its subcommand is kept. */
  argv?: readonly string[];
  /** How long the lease runs (real ms; default 1 min); it is renewed every third of that. */
  leaseMs?: number;
}

export type Acquired =
  { lock: PoolLock; tookOver?: { stale: LockInfo; why: string } } | { busy: LockInfo | undefined };

export function lockFile(stateDir: string, pool: string): string {
  return join(stateDir, 'locks', `${pool}.lock`);
}

/** A torn lock (the holder died between creating and writing it) is stale once this old. */
const TORN_GRACE_MS = 5_000;
const LEASE_MS = 60_000;

export class PoolLock {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly file: string,
    private current: LockInfo,
    private readonly leaseMs: number,
  ) {}

  static async acquire(stateDir: string, pool: string, options: AcquireOptions = {}): Promise<Acquired> {
    const file = lockFile(stateDir, pool);
    fs.mkdirSync(dirname(file), { recursive: true });
    const until = Date.now() + (options.waitMs ?? 0);
    const leaseMs = options.leaseMs ?? LEASE_MS;
    let tookOver: { stale: LockInfo; why: string } | undefined;
    for (;;) {
      const info: LockInfo = {
        ...thisProcess(),
        at: new Date().toISOString(),
        leaseUntil: new Date(Date.now() + leaseMs).toISOString(),
        command: commandName(options.argv ?? process.argv.slice(2)),
        nonce: randomBytes(8).toString('hex'),
      };
      if (create(file, info)) {
        ours.add(info.nonce);
        const lock = new PoolLock(file, info, leaseMs);
        lock.keepRenewed();
        return { lock, tookOver };
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

  /** What this holder wrote, as last renewed. */
  get info(): LockInfo {
    return this.current;
  }

  /** Still ours: the file at the path is the one this holder created. */
  held(): boolean {
    return this.lost() === undefined;
  }

  /** Why the lock is no longer this holder's (removed, or another holder's now), or undefined while it is. */
  lost(): string | undefined {
    const now = readLock(this.file);
    if (typeof now === 'object' && now.nonce === this.current.nonce) return undefined;
    if (now === 'gone') return `its lock file ${this.file} was removed`;
    if (now === 'torn') return `its lock file ${this.file} was replaced`;
    return `${this.file} is now held by pid ${now.pid} on ${now.host} since ${now.at}`;
  }

  /**
   * Moves the lease on. Through one descriptor: the nonce it reads is in the file it writes, so a
   * lock that replaced this one is never overwritten. False once the lock is no longer ours.
   */
  renew(): boolean {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    try {
      const now = parseLock(fs.readFileSync(fd, 'utf8'));
      if (typeof now !== 'object' || now.nonce !== this.current.nonce) return false;
      const info = { ...this.current, leaseUntil: new Date(Date.now() + this.leaseMs).toISOString() };
      // Same length as before (ISO times are fixed-width), so a reader sees the old or the new.
      const text = `${JSON.stringify(info)}\n`;
      fs.writeSync(fd, text, 0);
      fs.ftruncateSync(fd, Buffer.byteLength(text));
      fs.fsyncSync(fd);
      this.current = info;
      return true;
    } finally {
      fs.closeSync(fd);
    }
  }

  release(): void {
    this.stopRenewing();
    if (this.held()) fs.rmSync(this.file, { force: true });
    ours.delete(this.current.nonce);
  }

  /** Renews the lease every third of it while the lock is ours; the timer never keeps the process up. */
  private keepRenewed(): void {
    this.timer = setInterval(
      () => {
        try {
          if (!this.renew()) this.stopRenewing();
        } catch {
          // A failed renewal (a full disk) is tried again; a lease that runs out shows it to others.
        }
      },
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    this.timer.unref();
  }

  private stopRenewing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * The subcommand of a command line (`apply`, `run`): its first word, and only when it is a plain
 * word. Flags and their values (a webhook URL with a password in it) are never kept.
 */
export function commandName(argv: readonly string[]): string {
  const first = argv[0];
  return first !== undefined && /^[a-z][a-z-]{0,31}$/.test(first) ? first : '?';
}

function create(file: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
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
  return parseLock(text);
}

/** A lock's contents; its command is cut to the subcommand, as a lock of an older release may hold the whole line. */
function parseLock(text: string): LockInfo | 'torn' {
  let info: LockInfo;
  try {
    info = JSON.parse(text) as LockInfo;
  } catch {
    return 'torn';
  }
  if (typeof info?.pid !== 'number' || typeof info.nonce !== 'string') return 'torn';
  return { ...info, command: commandName(String(info.command ?? '').split(/\s+/)) };
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
  if (held.host !== hostname()) return leaseExpired(held);
  // Our own pid but not a lock we took: an earlier process that had this pid (a restarted
  // container's PID 1 gets the same pid every time), so it no longer runs.
  if (held.pid === process.pid && !ours.has(held.nonce)) {
    return `pid ${held.pid} on ${held.host} is this process, which did not take it: an earlier process with the same pid (a restarted container) left it`;
  }
  switch (processState(held)) {
    case 'gone':
      return `pid ${held.pid} on ${held.host} no longer runs`;
    case 'reused':
      return `pid ${held.pid} on ${held.host} now belongs to another process (not the one that took the lock)`;
    default:
      return undefined;
  }
}

/**
 * A holder on another host cannot be looked up from here: its lease says whether it still runs.
 * A live holder renews it every third of its length, which leaves room for clocks a little apart.
 * An older lock without a lease is never judged from here (remove it by hand).
 */
function leaseExpired(held: LockInfo): string | undefined {
  if (held.leaseUntil === undefined) return undefined;
  const until = Date.parse(held.leaseUntil);
  if (!(until < Date.now())) return undefined;
  return `pid ${held.pid} on ${held.host} stopped renewing its lease, which expired at ${held.leaseUntil}`;
}

/** Nonces of the locks this process holds. */
const ours = new Set<string>();

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
