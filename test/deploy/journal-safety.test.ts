// The journal read back after a crash, at its edges: where a pool's journal lives, a journal that
// cannot be read (never an empty history), reopening a clean or an empty journal (no repair, not
// one byte changed, still readable after the next record), each way a line can fail to be a
// record (named exactly), and no descriptor leaked by opening. test/deploy/journal.test.ts has the
// everyday cases.

import fs, { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { FileJournal, journalFile, parseJournal, readJournal } from '../../src/deploy/journal.js';

const dirs: string[] = [];

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-journal-safety-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const takeover = {
  at: '2026-01-05T08:00:00.000Z',
  kind: 'lock-takeover' as const,
  pool: 'web',
  reason: 'took over a stale lock',
};
const alert = { at: '2026-01-05T08:00:01.000Z', kind: 'alert' as const, pool: 'web', reason: 'paged' };

/** What `f` threw. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('where the journal lives', () => {
  it('is STATE/journal/POOL.jsonl, one file per pool', () => {
    expect(journalFile('/var/lib/shadowcast', 'web')).toBe(
      join('/var/lib/shadowcast', 'journal', 'web.jsonl'),
    );
    expect(journalFile('/var/lib/shadowcast', 'api')).toBe(
      join('/var/lib/shadowcast', 'journal', 'api.jsonl'),
    );
  });
});

describe('reading a journal back', () => {
  it('fails when the journal cannot be read, rather than reading no history (a migration under way would be forgotten)', () => {
    const file = journalFile(stateDir(), 'web');
    mkdirSync(file, { recursive: true });
    expect(() => readJournal(file)).toThrow(/EISDIR/);
  });

  it.each([
    ['a number', '42'],
    ['a string', '"step-intent"'],
    ['null', 'null'],
    ['an array', '[{"v":1}]'],
  ])('refuses a line that is %s, not an object', (_, line) => {
    const err = thrown(() => parseJournal('j.jsonl', `${line}\n`));
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'j.jsonl:1: corrupt journal record (not an object); only a last line without its newline may be torn',
    );
  });

  it.each([
    ['no v', '{"at":"2026-01-05T08:00:00.000Z","kind":"alert","pool":"web"}'],
    ['a v that is not a number', '{"v":"1","at":"2026-01-05T08:00:00.000Z","kind":"alert","pool":"web"}'],
  ])('refuses a record with %s as having no format version, not as a newer one', (_, line) => {
    const err = thrown(() => parseJournal('j.jsonl', `${line}\n`));
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'j.jsonl:1: corrupt journal record (no format version); only a last line without its newline may be torn',
    );
  });

  it('refuses a record without its time', () => {
    const err = thrown(() => parseJournal('j.jsonl', `{"v":1,"kind":"alert","pool":"web"}\n`));
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'j.jsonl:1: corrupt journal record (no pool or time); only a last line without its newline may be torn',
    );
  });
});

describe('reopening a journal', () => {
  it('leaves a cleanly closed journal byte for byte, reports no repair, and reads back every record after the next', () => {
    const file = journalFile(stateDir(), 'web');
    const first = FileJournal.open(file).journal;
    first.append(takeover);
    first.close();
    const before = readFileSync(file, 'utf8');
    const reopened = FileJournal.open(file);
    expect(reopened.repaired).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(before);
    reopened.journal.append(alert);
    reopened.journal.close();
    expect(readJournal(file)).toEqual({
      records: [
        { v: 1, ...takeover },
        { v: 1, ...alert },
      ],
      notes: [],
    });
  });

  it('leaves an existing empty journal (created, then a crash before its first record) empty, reports no repair, and reads back the next record', () => {
    const file = journalFile(stateDir(), 'web');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
    const reopened = FileJournal.open(file);
    expect(reopened.repaired).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe('');
    reopened.journal.append(alert);
    reopened.journal.close();
    expect(readJournal(file)).toEqual({ records: [{ v: 1, ...alert }], notes: [] });
  });

  it('opens only the journal file when it exists: its directory entry was made durable when it was created', () => {
    const file = journalFile(stateDir(), 'web');
    FileJournal.open(file).journal.close();
    const open = vi.spyOn(fs, 'openSync');
    FileJournal.open(file).journal.close();
    expect(open.mock.calls.map(([path, flags]) => `${String(path)}:${String(flags)}`)).toEqual([`${file}:a`]);
  });

  it('closes every descriptor it opened, the directory synced for a new journal included', () => {
    const open = vi.spyOn(fs, 'openSync');
    const close = vi.spyOn(fs, 'closeSync');
    FileJournal.open(journalFile(stateDir(), 'web')).journal.close();
    const opened = open.mock.results.map((r) => r.value as number);
    expect(opened).toHaveLength(2);
    expect(close.mock.calls.map(([fd]) => fd).sort()).toEqual([...opened].sort());
  });
});
