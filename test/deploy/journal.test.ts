// The journal: records survive as written (each fsync'd before append returns), a line torn by a
// crash mid-write (the last, without its newline) is dropped with a note and cut off before the
// next append; any other bad line, and a record from a newer release, is refused and kept as is.

import fs, { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import {
  FileJournal,
  journalFile,
  MemoryJournal,
  parseJournal,
  readJournal,
} from '../../src/deploy/journal.js';
import { migrationsOf } from '../../src/deploy/migrations.js';

const pool = { primary: 2, shadow: 0, standby: {}, weights: { primary: 1, shadow: 0 } };
const started = {
  at: '2026-01-05T08:00:00.000Z',
  kind: 'migration-started' as const,
  pool: 'web',
  migration: 'web-1',
  lastGood: pool,
  plan: {
    at: '2026-01-05T08:00:00.000Z',
    key: 'k',
    steps: [
      {
        id: 'web#1:provision',
        pool: 'web',
        kind: 'provision' as const,
        subject: { what: 'provision' as const },
        state: pool,
        notBefore: 0,
        bakeMs: 0,
        reason: '',
      },
    ],
  },
};
const intent = {
  at: '2026-01-05T08:00:01.000Z',
  kind: 'step-intent' as const,
  pool: 'web',
  migration: 'web-1',
  step: { index: 1, id: 'web#1:provision', kind: 'provision' as const },
};

function tmpJournal(): string {
  return journalFile(mkdtempSync(join(tmpdir(), 'shadowcast-journal-')), 'web');
}

/** A journal file holding exactly `text`. */
function journalWith(text: string): string {
  const file = tmpJournal();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** What `f` threw. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('FileJournal', () => {
  it('creates its directory, appends one JSON line per record and fsyncs each before returning', () => {
    const file = tmpJournal();
    const fsync = vi.spyOn(fs, 'fsyncSync');
    const { journal, repaired } = FileJournal.open(file);
    expect(repaired).toBeUndefined();
    const syncsAtOpen = fsync.mock.calls.length;
    journal.append(started);
    expect(fsync.mock.calls.length).toBe(syncsAtOpen + 1);
    // The record is in the file (not a buffer) by the time append returns.
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(2);
    journal.append(intent);
    expect(fsync.mock.calls.length).toBe(syncsAtOpen + 2);
    journal.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).kind)).toEqual(['migration-started', 'step-intent']);
    expect(JSON.parse(lines[0]!)).toMatchObject({ v: 1, pool: 'web', migration: 'web-1' });
    expect(() => journal.append(intent)).toThrow(/closed/);
  });

  it('fsyncs the directory of a file it creates, so the new entry survives a crash too', () => {
    const file = tmpJournal();
    const opened: string[] = [];
    const open = fs.openSync;
    vi.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, flags: fs.OpenMode) => {
      opened.push(`${String(p)}:${String(flags)}`);
      return open(p, flags);
    }) as typeof fs.openSync);
    FileJournal.open(file).journal.close();
    expect(opened).toEqual([`${file}:a`, `${join(file, '..')}:r`]);
  });

  it('cuts a torn last line off before appending, and says so', () => {
    const file = tmpJournal();
    const { journal } = FileJournal.open(file);
    journal.append(started);
    journal.close();
    appendFileSync(file, '{"v":1,"at":"2026-01-05T08:00:01.000Z","kind":"step-int');
    const reopened = FileJournal.open(file);
    expect(reopened.repaired).toMatch(/dropped a torn last line \(line 2, \d+ bytes\)/);
    reopened.journal.append(intent);
    reopened.journal.close();
    const read = readJournal(file);
    expect(read.notes).toEqual([]);
    expect(read.records.map((r) => r.kind)).toEqual(['migration-started', 'step-intent']);
  });

  it('keeps a complete last line of unknown kind byte for byte, and refuses it naming file and line', () => {
    const text = `${JSON.stringify({ v: 1, ...started })}\n${JSON.stringify({ v: 1, ...intent, kind: 'teleport' })}\n`;
    const file = journalWith(text);
    const message = `${file}:2: record of unknown kind "teleport" (written by a newer shadowcast?); refusing to touch this journal`;
    const errors = [thrown(() => FileJournal.open(file)), thrown(() => readJournal(file))];
    expect(readFileSync(file, 'utf8')).toBe(text);
    for (const err of errors) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toBe(message);
    }
  });

  it.each([
    ['with its newline', '\n'],
    ['without its newline (whole JSON: no torn write)', ''],
  ])('keeps a last record of a newer version %s, and refuses it', (_, end) => {
    const text = `${JSON.stringify({ v: 1, ...started })}\n${JSON.stringify({ v: 2, ...intent })}${end}`;
    const file = journalWith(text);
    const message = `${file}:2: record of unknown version 2 (written by a newer shadowcast?); refusing to touch this journal`;
    const errors = [thrown(() => FileJournal.open(file)), thrown(() => readJournal(file))];
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(errors.map((e) => (e as Error | undefined)?.message)).toEqual([message, message]);
  });

  it('keeps a complete last line that is not JSON (a torn write has no newline), and refuses it', () => {
    const text = `${JSON.stringify({ v: 1, ...started })}\n{"v":1,"kind":"step-int\n`;
    const file = journalWith(text);
    const err = thrown(() => FileJournal.open(file));
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(`${file}:2: corrupt journal record (not JSON)`);
  });

  it('keeps a whole last record that only lacks its newline', () => {
    const file = tmpJournal();
    FileJournal.open(file).journal.close();
    writeFileSync(file, JSON.stringify({ v: 1, ...started }));
    const reopened = FileJournal.open(file);
    expect(reopened.repaired).toBeUndefined();
    reopened.journal.append(intent);
    reopened.journal.close();
    expect(readJournal(file).records.map((r) => r.kind)).toEqual(['migration-started', 'step-intent']);
  });
});

describe('reading a journal', () => {
  const good = `${JSON.stringify({ v: 1, ...started })}\n${JSON.stringify({ v: 1, ...intent })}\n`;

  it.each([
    [
      'a torn last line',
      `${good}{"v":1,"kind":"gate-pa`,
      2,
      /j\.jsonl:3: ignored a torn last line \(\d+ bytes, a crash mid-write\): not JSON/,
    ],
    ['no torn line', good, 2, undefined],
    ['an empty file', '', 0, undefined],
  ])('tolerates %s', (_, text, records, note) => {
    const read = parseJournal('j.jsonl', text);
    expect(read.records).toHaveLength(records);
    if (note) expect(read.notes).toEqual([expect.stringMatching(note)]);
    else expect(read.notes).toEqual([]);
  });

  it.each([
    [
      'a torn line mid-file',
      `{"v":1,"kind":"step-in\n${good}`,
      'j.jsonl:1: corrupt journal record (not JSON); only a last line without its newline may be torn',
    ],
    [
      'a complete last line that is not JSON (it ends in its newline: no torn write)',
      `${good}{"v":1,"kind":"gate-pa\n`,
      'j.jsonl:3: corrupt journal record (not JSON); only a last line without its newline may be torn',
    ],
    [
      'an unknown kind mid-file',
      `${JSON.stringify({ v: 1, ...started, kind: 'teleport' })}\n${good}`,
      'j.jsonl:1: record of unknown kind "teleport" (written by a newer shadowcast?); refusing to touch this journal',
    ],
    [
      'a last line of a newer version',
      `${good}{"v":2}\n`,
      'j.jsonl:3: record of unknown version 2 (written by a newer shadowcast?); refusing to touch this journal',
    ],
    [
      'a whole last record of unknown kind without its newline',
      `${good}${JSON.stringify({ v: 1, ...intent, kind: 'teleport' })}`,
      'j.jsonl:3: record of unknown kind "teleport" (written by a newer shadowcast?); refusing to touch this journal',
    ],
    [
      'a record without a pool',
      `${good}{"v":1,"kind":"alert","at":"x"}\n${good}`,
      'j.jsonl:3: corrupt journal record (no pool or time); only a last line without its newline may be torn',
    ],
  ])('refuses %s, naming file and line', (_, text, message) => {
    const err = (() => {
      try {
        parseJournal('j.jsonl', text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(message);
  });

  it('is empty when the file does not exist', () => {
    expect(readJournal(join(tmpdir(), 'no-such-dir', 'x.jsonl'))).toEqual({ records: [], notes: [] });
  });
});

describe('migrationsOf', () => {
  it('rebuilds outcome and step statuses, and reopens a finished migration while it is rolled back by hand', () => {
    const j = new MemoryJournal();
    j.append(started);
    j.append(intent);
    expect(migrationsOf(j.records)[0]).toMatchObject({
      outcome: 'in_progress',
      stepSummaries: [{ status: 'started', applied: 0 }],
    });
    j.append({ ...intent, kind: 'step-applied', at: '2026-01-05T08:00:46.000Z' });
    j.append({ ...intent, kind: 'gate-passed', at: '2026-01-05T08:02:46.000Z' });
    j.append({ ...started, kind: 'migration-completed', at: '2026-01-05T08:02:46.000Z', plan: undefined });
    let m = migrationsOf(j.records)[0]!;
    expect(m).toMatchObject({ outcome: 'completed', durationMs: 166_000 });
    expect(m.stepSummaries[0]).toMatchObject({ status: 'passed', applied: 1, durationMs: 165_000 });
    j.append({
      ...started,
      kind: 'rollback-intent',
      at: '2026-01-05T09:00:00.000Z',
      plan: undefined,
      reason: 'manual',
    });
    m = migrationsOf(j.records)[0]!;
    expect(m.outcome).toBe('in_progress');
    j.append({ ...started, kind: 'rollback-done', at: '2026-01-05T09:00:45.000Z', plan: undefined });
    j.append({
      ...started,
      kind: 'migration-rolled-back',
      at: '2026-01-05T09:00:45.000Z',
      plan: undefined,
      reason: 'manual',
    });
    m = migrationsOf(j.records)[0]!;
    expect(m).toMatchObject({ outcome: 'rolled_back', reason: 'manual', rollbackFailed: false });
  });

  it('ignores pool-level records and records of migrations it never saw start', () => {
    const j = new MemoryJournal();
    j.append({ at: started.at, kind: 'lock-takeover', pool: 'web', reason: 'stale' });
    j.append({ ...intent, migration: 'web-0' });
    j.append(started);
    expect(migrationsOf(j.records).map((m) => m.id)).toEqual(['web-1']);
  });
});
