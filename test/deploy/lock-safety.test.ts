// The pool lock's safety edges, in-process on a fake clock: the lease a lock takes and renews, the
// renewal timer (its pace, a passing failure retried, stopped once the lock is gone or released),
// the exact bounds of the wait, the torn-lock grace and the lease, a lock file that is JSON but no
// lock, the races of a takeover (the stale lock moved first by another process, or replaced by a
// fresh lock just before it is moved aside), no descriptor leaked, and no secret in the lock file.
// test/deploy/lock.test.ts has the everyday cases.

import fs, {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AcquireOptions, commandName, lockFile, PoolLock } from '../../src/deploy/lock.js';

/** The fake clock's start: a whole second, so file times set to it are exact. */
const T = Date.UTC(2026, 0, 5, 8, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const dirs: string[] = [];
const taken: PoolLock[] = [];

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-lock-safety-'));
  dirs.push(dir);
  return dir;
}

function fakeClock(): void {
  vi.useFakeTimers({
    now: T,
    toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
  });
}

afterEach(() => {
  for (const lock of taken.splice(0)) {
    try {
      lock.release();
    } catch {
      // A test left something unreadable at the path: the directory goes below anyway.
    }
  }
  vi.restoreAllMocks();
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Acquires the pool's lock, which must be free (or stale). */
async function take(dir: string, options: AcquireOptions = {}): Promise<PoolLock> {
  const got = await PoolLock.acquire(dir, 'web', options);
  if (!('lock' in got)) throw new Error(`not acquired: busy, held by ${JSON.stringify(got.busy)}`);
  taken.push(got.lock);
  return got.lock;
}

/** Writes `text` as the pool's lock file, last modified `mtimeMs` (default: now). */
function plant(dir: string, text: string, mtimeMs?: number): string {
  const file = lockFile(dir, 'web');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  if (mtimeMs !== undefined) utimesSync(file, mtimeMs / 1000, mtimeMs / 1000);
  return file;
}

/** A lock of a process on another host, its lease running until `leaseUntil`. */
const remote = (leaseUntil: number, nonce = 'theirs') =>
  JSON.stringify({
    pid: 4242,
    host: 'elsewhere',
    at: iso(T - 60_000),
    leaseUntil: iso(leaseUntil),
    command: 'apply',
    nonce,
  });

const onDisk = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** A promise's state, without waiting for it. */
function track<T>(p: Promise<T>): { settled: () => boolean; value: () => T | undefined } {
  let done = false;
  let value: T | undefined;
  void p.then((v) => {
    done = true;
    value = v;
  });
  return { settled: () => done, value: () => value };
}

const fsError = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

describe('the lease', () => {
  it('runs leaseMs from when the lock is taken, and each renewal moves it to leaseMs past the renewal', async () => {
    fakeClock();
    const lock = await take(stateDir(), { leaseMs: 30_000 });
    expect(onDisk(lock.file)).toMatchObject({ at: iso(T), leaseUntil: iso(T + 30_000) });
    vi.setSystemTime(T + 5_000);
    expect(lock.renew()).toBe(true);
    expect(onDisk(lock.file)).toMatchObject({ at: iso(T), leaseUntil: iso(T + 35_000) });
    expect(lock.info.leaseUntil).toBe(iso(T + 35_000));
  });

  it('is renewed every third of its length for as long as the lock is held, not more often', async () => {
    fakeClock();
    const lock = await take(stateDir(), { leaseMs: 3_000 });
    await vi.advanceTimersByTimeAsync(999);
    expect(onDisk(lock.file).leaseUntil).toBe(iso(T + 3_000));
    await vi.advanceTimersByTimeAsync(1);
    expect(onDisk(lock.file).leaseUntil).toBe(iso(T + 4_000));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(onDisk(lock.file).leaseUntil).toBe(iso(T + 5_000));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(onDisk(lock.file).leaseUntil).toBe(iso(T + 6_000));
  });

  it('keeps being renewed after a renewal fails for a passing reason (too many open files), which renew() reports', async () => {
    fakeClock();
    const lock = await take(stateDir(), { leaseMs: 3_000 });
    const open = vi.spyOn(fs, 'openSync').mockImplementationOnce(() => {
      throw fsError('EMFILE');
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(onDisk(lock.file).leaseUntil).toBe(iso(T + 3_000));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(onDisk(lock.file).leaseUntil).toBe(iso(T + 5_000));
    open.mockImplementationOnce(() => {
      throw fsError('EMFILE');
    });
    expect(() => lock.renew()).toThrow(/EMFILE/);
  });

  it('is no longer renewed once the lock file is removed: renew() says so without throwing, and the timer stops', async () => {
    fakeClock();
    const lock = await take(stateDir(), { leaseMs: 3_000 });
    expect(vi.getTimerCount()).toBe(1);
    rmSync(lock.file);
    expect(lock.renew()).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(existsSync(lock.file)).toBe(false);
  });
});

describe('release', () => {
  it('removes the lock file and its renewal timer: the next taker finds the pool free, not a stale lock', async () => {
    fakeClock();
    const dir = stateDir();
    const lock = await take(dir);
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    const next = await PoolLock.acquire(dir, 'web');
    expect(next).toEqual({ lock: expect.any(PoolLock), tookOver: undefined });
    if ('lock' in next) taken.push(next.lock);
  });

  it('does not fail when the lock file disappears between its check and its removal', async () => {
    const lock = await take(stateDir());
    const read = fs.readFileSync;
    vi.spyOn(fs, 'readFileSync').mockImplementation(((path: fs.PathOrFileDescriptor, options?: unknown) => {
      const text = read(path, options as BufferEncoding);
      if (path === lock.file) rmSync(lock.file, { force: true });
      return text;
    }) as typeof fs.readFileSync);
    expect(() => lock.release()).not.toThrow();
    expect(existsSync(lock.file)).toBe(false);
  });
});

describe('file descriptors', () => {
  it('every descriptor that taking, renewing and releasing a lock opens is closed', async () => {
    const open = vi.spyOn(fs, 'openSync');
    const close = vi.spyOn(fs, 'closeSync');
    const lock = await take(stateDir());
    expect(lock.renew()).toBe(true);
    lock.release();
    const opened = open.mock.results.map((r) => r.value as number);
    expect(opened).toHaveLength(2);
    expect(close.mock.calls.map(([fd]) => fd).sort()).toEqual([...opened].sort());
  });
});

describe('the command kept in the lock file', () => {
  it("is this process's subcommand when no command line is given", async () => {
    const argv = process.argv;
    process.argv = [
      argv[0]!,
      '/usr/local/bin/shadowcast',
      'apply',
      '--checkpoint',
      'https://ops:s3cret@hooks.example/cp',
    ];
    try {
      const lock = await take(stateDir());
      expect(onDisk(lock.file).command).toBe('apply');
      expect(readFileSync(lock.file, 'utf8')).not.toMatch(/s3cret/);
    } finally {
      process.argv = argv;
    }
  });

  it.each([
    ['a subcommand', ['apply', '--yes'], 'apply'],
    ['a hyphenated subcommand', ['lock-status'], 'lock-status'],
    ['a URL with a password first', ['https://ops:s3cret@hooks.example/cp'], '?'],
    ['a word followed by a secret in the same argument', ['run=https://ops:s3cret@hooks.example'], '?'],
    ['a flag first', ['--webhook', 'https://hooks.example'], '?'],
    ['a capitalised word', ['Apply'], '?'],
    ['nothing', [], '?'],
  ])('of %s is %j', (_, argv, name) => {
    expect(commandName(argv)).toBe(name);
  });
});

describe('acquiring', () => {
  it('fails, creating nothing, when the lock file cannot be created for another reason than an existing lock', async () => {
    const dir = stateDir();
    vi.spyOn(fs, 'openSync').mockImplementationOnce(() => {
      throw fsError('EACCES');
    });
    await expect(PoolLock.acquire(dir, 'web')).rejects.toThrow(/EACCES/);
    expect(existsSync(lockFile(dir, 'web'))).toBe(false);
  });

  it('waits for a live holder exactly its bound, then reports the pool busy', async () => {
    fakeClock();
    const dir = stateDir();
    const holder = await take(dir);
    const waiting = track(PoolLock.acquire(dir, 'web', { waitMs: 1_000, pollMs: 250 }));
    await vi.advanceTimersByTimeAsync(999);
    expect(waiting.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.settled()).toBe(true);
    expect(waiting.value()).toEqual({ busy: expect.objectContaining({ nonce: holder.info.nonce }) });
  });

  it('looks again every pollMs while waiting', async () => {
    fakeClock();
    const dir = stateDir();
    const holder = await take(dir);
    setTimeout(() => holder.release(), 60);
    const waiting = track(PoolLock.acquire(dir, 'web', { waitMs: 10_000, pollMs: 50 }));
    await vi.advanceTimersByTimeAsync(99);
    expect(waiting.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.value()).toEqual({ lock: expect.any(PoolLock), tookOver: undefined });
    const got = waiting.value();
    if (got && 'lock' in got) taken.push(got.lock);
  });

  it('looks again every 200 ms by default, not in a busy loop', async () => {
    fakeClock();
    const dir = stateDir();
    const holder = await take(dir);
    setTimeout(() => holder.release(), 150);
    const waiting = track(PoolLock.acquire(dir, 'web', { waitMs: 10_000 }));
    await vi.advanceTimersByTimeAsync(199);
    expect(waiting.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.value()).toEqual({ lock: expect.any(PoolLock), tookOver: undefined });
    const got = waiting.value();
    if (got && 'lock' in got) taken.push(got.lock);
  });
});

describe('a torn lock (its holder died between creating and writing it)', () => {
  it('is left alone for its whole 5 s grace: its writer may still be writing it', async () => {
    fakeClock();
    const dir = stateDir();
    plant(dir, '', T - 5_000);
    expect(await PoolLock.acquire(dir, 'web')).toEqual({ busy: undefined });
  });

  it('is taken over once older, saying how old, with its holder unknown', async () => {
    fakeClock();
    const dir = stateDir();
    plant(dir, '{"pid":', T - 60_000);
    const got = await PoolLock.acquire(dir, 'web');
    if (!('lock' in got)) throw new Error('not acquired');
    taken.push(got.lock);
    expect(got.tookOver).toEqual({
      stale: { pid: 0, host: '?', at: '?', command: '?', nonce: '' },
      why: 'the lock file is empty or torn and 60 s old',
    });
    expect(readdirSync(dirname(got.lock.file))).toEqual(['web.lock']);
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"web"'],
    ['an object without a nonce', '{"pid":7,"host":"h","at":"x","command":"apply"}'],
    ['an object without a pid', '{"nonce":"n1","host":"h","at":"x","command":"apply"}'],
    ['an object whose pid is not a number', '{"pid":"7","nonce":"n1","host":"h","at":"x","command":"apply"}'],
  ])(
    'counts a lock file that is JSON but no lock (%s) as torn, and takes it over after the grace',
    async (_, text) => {
      fakeClock();
      const dir = stateDir();
      plant(dir, text, T - 60_000);
      const got = await PoolLock.acquire(dir, 'web');
      if (!('lock' in got)) throw new Error(`not acquired: busy, held by ${JSON.stringify(got.busy)}`);
      taken.push(got.lock);
      expect(got.tookOver?.why).toBe('the lock file is empty or torn and 60 s old');
    },
  );

  it('that disappears while it is judged does not fail the acquire: the pool is taken at the next look', async () => {
    fakeClock();
    const dir = stateDir();
    const file = plant(dir, '');
    const read = fs.readFileSync;
    let gone = false;
    vi.spyOn(fs, 'readFileSync').mockImplementation(((path: fs.PathOrFileDescriptor, options?: unknown) => {
      const text = read(path, options as BufferEncoding);
      if (path === file && !gone) {
        gone = true;
        rmSync(file);
      }
      return text;
    }) as typeof fs.readFileSync);
    const waiting = track(PoolLock.acquire(dir, 'web', { waitMs: 1_000, pollMs: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(gone).toBe(true);
    expect(waiting.value()).toEqual({ lock: expect.any(PoolLock), tookOver: undefined });
    const got = waiting.value();
    if (got && 'lock' in got) taken.push(got.lock);
  });
});

describe('a lock from another host', () => {
  it('is left alone up to the last millisecond of its lease', async () => {
    fakeClock();
    const dir = stateDir();
    plant(dir, remote(T));
    expect(await PoolLock.acquire(dir, 'web')).toEqual({
      busy: expect.objectContaining({ nonce: 'theirs' }),
    });
  });

  it('is taken over once its lease has run out', async () => {
    fakeClock();
    const dir = stateDir();
    plant(dir, remote(T - 1));
    const got = await take(dir);
    expect(got.held()).toBe(true);
  });
});

describe('the holder told it lost its lock', () => {
  it.each([
    ['emptied', ''],
    ['overwritten with JSON that is no lock', '{"pid":7}'],
    ['overwritten with null', 'null'],
  ])('hears it was replaced when its file was %s', async (_, text) => {
    const lock = await take(stateDir());
    writeFileSync(lock.file, text);
    expect(lock.held()).toBe(false);
    expect(lock.lost()).toBe(`its lock file ${lock.file} was replaced`);
  });

  it('is not told its lock was removed when its file cannot be read', async () => {
    const lock = await take(stateDir());
    rmSync(lock.file);
    mkdirSync(lock.file);
    expect(() => lock.lost()).toThrow(/EISDIR/);
    rmSync(lock.file, { recursive: true });
  });
});

describe('taking over a stale lock, racing other processes', () => {
  it('when another process moved the stale lock first, takes the free pool without claiming a takeover', async () => {
    fakeClock();
    const dir = stateDir();
    plant(dir, remote(T - 1_000));
    const rename = fs.renameSync;
    vi.spyOn(fs, 'renameSync').mockImplementationOnce((from, to) => {
      rmSync(from); // the other process's takeover, and its release
      rename(from, to);
    });
    const got = await PoolLock.acquire(dir, 'web');
    expect(got).toEqual({ lock: expect.any(PoolLock), tookOver: undefined });
    if ('lock' in got) taken.push(got.lock);
  });

  it('fails when the stale lock cannot be moved aside for another reason (permissions)', async () => {
    fakeClock();
    const dir = stateDir();
    const file = plant(dir, remote(T - 1_000));
    vi.spyOn(fs, 'renameSync').mockImplementationOnce(() => {
      throw fsError('EPERM');
    });
    await expect(PoolLock.acquire(dir, 'web')).rejects.toThrow(/EPERM/);
    expect(onDisk(file).nonce).toBe('theirs');
  });

  it.each([
    ['a torn lock', () => ''],
    ['a lock whose lease ran out', () => remote(T - 1_000, 'old')],
  ])(
    'puts back a fresh lock that replaced %s just before it was moved aside, and finds the pool busy',
    async (_, stale) => {
      fakeClock();
      const dir = stateDir();
      const file = plant(dir, stale(), T - 60_000);
      const fresh = remote(T + 60_000, 'fresh');
      const rename = fs.renameSync;
      vi.spyOn(fs, 'renameSync').mockImplementationOnce((from, to) => {
        writeFileSync(from, fresh); // another process took over first and holds the pool now
        rename(from, to);
      });
      const got = await PoolLock.acquire(dir, 'web');
      expect(got).toEqual({ busy: expect.objectContaining({ nonce: 'fresh' }) });
      expect(readFileSync(file, 'utf8')).toBe(fresh);
      expect(readdirSync(dirname(file))).toEqual(['web.lock']);
    },
  );
});
