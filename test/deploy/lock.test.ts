// The pool lock across processes: one holder at a time, a bounded wait for a live holder, and a
// stale lock (its process gone, its pid now another process's, or its lease from another host
// expired) taken over. Two real processes updating one pool at once are in test/cli/apply.test.ts;
// here the lock file itself.

import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, lockFile, PoolLock } from '../../src/deploy/lock.js';
import { processStartTime } from '../../src/deploy/process.js';

const state = () => mkdtempSync(join(tmpdir(), 'shadowcast-lock-'));

/** A pid that ran on this host and no longer does. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout;
  expect(alive(Number(pid))).toBe(false);
  return Number(pid);
}

function plant(dir: string, holder: Record<string, unknown> | string): string {
  const file = lockFile(dir, 'web');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof holder === 'string' ? holder : JSON.stringify(holder));
  return file;
}

const holder = (pid: number, host = hostname()) => ({
  pid,
  host,
  at: '2026-01-05T08:00:00.000Z',
  command: 'apply',
  nonce: 'n1',
});

describe('PoolLock', () => {
  it('takes over a lock with its own pid that it did not take (a restarted container reuses PID 1), but not its own', async () => {
    const dir = state();
    plant(dir, holder(process.pid));
    const got = await PoolLock.acquire(dir, 'web');
    expect('lock' in got).toBe(true);
    if (!('lock' in got)) return;
    expect(got.tookOver?.why).toMatch(/is this process, which did not take it/);
    // Its own lock, held: another acquire in the same process finds it busy, not stale.
    const again = await PoolLock.acquire(dir, 'web');
    expect('busy' in again).toBe(true);
    got.lock.release();
  });

  it('is held by one at a time, and released', async () => {
    const dir = state();
    const first = await PoolLock.acquire(dir, 'web');
    if (!('lock' in first)) throw new Error('not acquired');
    expect(JSON.parse(readFileSync(first.lock.file, 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
    });
    const second = await PoolLock.acquire(dir, 'web');
    expect(second).toEqual({ busy: expect.objectContaining({ pid: process.pid }) });
    // Another pool is not affected.
    expect('lock' in (await PoolLock.acquire(dir, 'api'))).toBe(true);
    first.lock.release();
    expect('lock' in (await PoolLock.acquire(dir, 'web'))).toBe(true);
  });

  it('waits for a live holder up to its bound', async () => {
    const dir = state();
    const first = await PoolLock.acquire(dir, 'web');
    if (!('lock' in first)) throw new Error('not acquired');
    setTimeout(() => first.lock.release(), 300);
    const t0 = Date.now();
    const waited = await PoolLock.acquire(dir, 'web', { waitMs: 5_000, pollMs: 20 });
    expect('lock' in waited).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const t1 = Date.now();
    expect('busy' in (await PoolLock.acquire(dir, 'web', { waitMs: 200, pollMs: 20 }))).toBe(true);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(200);
  });

  it('takes over a lock whose process no longer runs on this host, and says whose it was', async () => {
    const dir = state();
    const pid = deadPid();
    plant(dir, holder(pid));
    const got = await PoolLock.acquire(dir, 'web');
    if (!('lock' in got)) throw new Error('not acquired');
    expect(got.tookOver).toEqual({
      stale: expect.objectContaining({ pid }),
      why: `pid ${pid} on ${hostname()} no longer runs`,
    });
    expect(got.lock.held()).toBe(true);
    expect(readdirSync(join(dir, 'locks'))).toEqual(['web.lock']);
  });

  it.each([
    ['a live process on this host', () => holder(process.ppid)],
    [
      'a live process on this host, with its start time',
      () => ({ ...holder(process.ppid), startTime: processStartTime(process.ppid) }),
    ],
    [
      'a process on another host without a lease (it cannot be checked from here)',
      () => holder(1, 'elsewhere'),
    ],
    [
      'a process on another host whose lease runs',
      () => ({ ...holder(1, 'elsewhere'), leaseUntil: new Date(Date.now() + 60_000).toISOString() }),
    ],
    ['a torn lock younger than its grace time', () => '{"pid":'],
  ])('leaves alone a lock held by %s', async (_, make) => {
    const dir = state();
    plant(dir, make());
    expect('busy' in (await PoolLock.acquire(dir, 'web'))).toBe(true);
  });

  it("takes over a lock whose pid now belongs to another process (its start time is not the holder's)", async () => {
    const dir = state();
    // The parent runs, but it is not the process that took this lock: that one started at another time.
    expect(processStartTime(process.ppid)).toBeDefined();
    plant(dir, { ...holder(process.ppid), startTime: 'another-boot:42' });
    const got = await PoolLock.acquire(dir, 'web');
    if (!('lock' in got)) throw new Error(`not acquired: busy, held by ${JSON.stringify(got.busy)}`);
    expect(got.tookOver?.why).toBe(
      `pid ${process.ppid} on ${hostname()} now belongs to another process (not the one that took the lock)`,
    );
    got.lock.release();
  });

  it("records its holder's process start time, so a later process with the same pid is told apart", async () => {
    const dir = state();
    const got = await PoolLock.acquire(dir, 'web');
    if (!('lock' in got)) throw new Error('not acquired');
    expect(JSON.parse(readFileSync(got.lock.file, 'utf8'))).toMatchObject({
      pid: process.pid,
      startTime: processStartTime(process.pid),
    });
    got.lock.release();
  });

  it('takes over a lock from another host once its lease has expired', async () => {
    const dir = state();
    const leaseUntil = new Date(Date.now() - 1_000).toISOString();
    plant(dir, { ...holder(4242, 'elsewhere'), leaseUntil });
    const got = await PoolLock.acquire(dir, 'web');
    if (!('lock' in got)) throw new Error('not acquired');
    expect(got.tookOver?.why).toBe(
      `pid 4242 on elsewhere stopped renewing its lease, which expired at ${leaseUntil}`,
    );
    got.lock.release();
  });

  it('renews its lease while held, and stops once the lock is no longer its own, never writing over it', async () => {
    const dir = state();
    const got = await PoolLock.acquire(dir, 'web', { leaseMs: 150 });
    if (!('lock' in got)) throw new Error('not acquired');
    const leaseOf = () => Date.parse(JSON.parse(readFileSync(got.lock.file, 'utf8')).leaseUntil);
    const first = leaseOf();
    await new Promise((r) => setTimeout(r, 400));
    expect(leaseOf()).toBeGreaterThan(first);
    // Another holder's lock at the path now: renewing leaves it as it is.
    const file = plant(dir, holder(process.ppid));
    const theirs = readFileSync(file, 'utf8');
    expect(got.lock.renew()).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(file, 'utf8')).toBe(theirs);
    got.lock.release();
  });

  it('creates the lock file readable by its owner only (0600), keeping the subcommand and no flag value', async () => {
    const dir = state();
    const argv = ['apply', '--yes', '--checkpoint', 'https://ops:s3cret@hooks.example/cp?token=t0k3n'];
    const got = await PoolLock.acquire(dir, 'web', { argv });
    if (!('lock' in got)) throw new Error('not acquired');
    expect(statSync(got.lock.file).mode & 0o777).toBe(0o600);
    const text = readFileSync(got.lock.file, 'utf8');
    expect(text).not.toMatch(/s3cret|t0k3n|hooks\.example|checkpoint/);
    expect(JSON.parse(text).command).toBe('apply');
    got.lock.release();
  });

  it('reads the whole command line an older lock kept as its subcommand only', async () => {
    const dir = state();
    plant(dir, { ...holder(process.ppid), command: 'apply --restore https://ops:s3cret@hooks.example/r' });
    const got = await PoolLock.acquire(dir, 'web');
    expect(got).toEqual({ busy: expect.objectContaining({ command: 'apply' }) });
    const pid = deadPid();
    plant(dir, { ...holder(pid), command: 'run --webhook https://ops:s3cret@hooks.example/w' });
    const taken = await PoolLock.acquire(dir, 'web');
    if (!('lock' in taken)) throw new Error('not acquired');
    expect(taken.tookOver?.stale.command).toBe('run');
    taken.lock.release();
  });

  it('says why it no longer holds the lock', async () => {
    const dir = state();
    const got = await PoolLock.acquire(dir, 'web');
    if (!('lock' in got)) throw new Error('not acquired');
    expect(got.lock.lost()).toBeUndefined();
    rmSync(got.lock.file);
    expect(got.lock.held()).toBe(false);
    expect(got.lock.lost()).toBe(`its lock file ${got.lock.file} was removed`);
    plant(dir, holder(4242, 'elsewhere'));
    expect(got.lock.lost()).toBe(
      `${got.lock.file} is now held by pid 4242 on elsewhere since 2026-01-05T08:00:00.000Z`,
    );
  });

  it('takes over a torn lock once it is old', async () => {
    const dir = state();
    const file = plant(dir, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const got = await PoolLock.acquire(dir, 'web');
    if (!('lock' in got)) throw new Error('not acquired');
    expect(got.tookOver?.why).toMatch(/the lock file is empty or torn and \d+ s old/);
  });

  it('release leaves a lock that is no longer its own', async () => {
    const dir = state();
    const got = await PoolLock.acquire(dir, 'web');
    if (!('lock' in got)) throw new Error('not acquired');
    const file = plant(dir, holder(process.pid));
    expect(got.lock.held()).toBe(false);
    got.lock.release();
    expect(JSON.parse(readFileSync(file, 'utf8')).nonce).toBe('n1');
  });
});
