// The migration journal: one JSON line per transition, appended and fsync'd before the executor
// acts on what it says, so a crash leaves an exact record of how far a migration got. One file
// per pool, STATE/journal/POOL.jsonl: the pool's lock makes its holder the only writer, and a
// record is one write() ending in its newline, so only a last line without its newline can be
// torn by a crash. Reading drops such a line with a note; opening for append cuts it off first.
// Any other bad line, and a record of a kind or version this release does not know (a newer
// release wrote it), is refused and kept. See README, "Deployer and journal", for the format.

import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../core/errors.js';
import type { MigrationStep, PoolState, StepKind } from '../core/plan.js';

export const RECORD_KINDS = [
  'migration-started',
  'step-intent',
  'step-applied',
  'gate-passed',
  'step-failed',
  'rollback-intent',
  'rollback-done',
  'rollback-failed',
  'migration-completed',
  'migration-rolled-back',
  'migration-paused',
  'alert',
  'lock-takeover',
  'journal-repaired',
] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** A plan step as records name it; `index` is 1-based, as plans print it and `--inject` takes it. */
export interface StepRef {
  index: number;
  id: string;
  kind: StepKind;
}

/** The plan a migration applies, stored whole in its migration-started record: recovery needs nothing else. */
export interface PlanRecord {
  /** Where it was read from, when it was a file. */
  file?: string;
  /** When it was made (ISO). */
  at: string;
  /** sha256 of pool, time and steps: the same plan applied twice is recognised. */
  key: string;
  steps: MigrationStep[];
  /**
   * The migration started this long after the plan's time: every step's notBefore moves by it,
   * so steps keep their planned spacing (a warm step still comes its lead time after its provision).
   */
  delayMs?: number;
}

export interface JournalRecord {
  /** Format version. */
  v: 1;
  /** When, on the executor's clock (the simulated clock for the simulated fleet), ISO-8601 UTC. */
  at: string;
  kind: RecordKind;
  pool: string;
  /** The migration's id; absent on pool-level records (lock-takeover, journal-repaired). */
  migration?: string;
  step?: StepRef;
  /** The step's state (step records), or the state being rolled back to (rollback records). */
  state?: PoolState;
  /** What a rollback goes back to: the pool's verified state when the migration started. */
  lastGood?: PoolState;
  reason?: string;
  /** How long the transition took: an update, a bake, a rollback, the whole migration (ms). */
  durationMs?: number;
  /** Rollback attempts are numbered from 1. */
  attempt?: number;
  /** step-applied written by recovery: the target was found showing the step's state. */
  recovered?: boolean;
  /** migration-started only. */
  plan?: PlanRecord;
  /**
   * Who wrote it: on lock-takeover, the stale lock's holder; on migration-started and on the first
   * record each later run writes for a migration (a recovery, a rollback), the process running it
   * from there, so a migration whose process still runs is not taken for a crashed one.
   */
  pid?: number;
  host?: string;
  /** With pid and host, names one process: a recycled pid has another start time (process.ts). */
  startTime?: string;
}

export type NewRecord = Omit<JournalRecord, 'v'>;

/** Where the executor writes: a file (FileJournal) or memory (tests). */
export interface JournalWriter {
  append(record: NewRecord): JournalRecord;
}

export function journalFile(stateDir: string, pool: string): string {
  return join(stateDir, 'journal', `${pool}.jsonl`);
}

export class MemoryJournal implements JournalWriter {
  readonly records: JournalRecord[] = [];
  append(record: NewRecord): JournalRecord {
    const r: JournalRecord = { v: 1, ...record };
    this.records.push(structuredClone(r));
    return r;
  }
}

/**
 * Appends to one pool's journal file: each record is written with one write() and fsync'd before
 * append returns, so what the executor does next is never ahead of what the journal says. Sync
 * calls on purpose: a record is on disk before the next line of the executor runs.
 */
export class FileJournal implements JournalWriter {
  private constructor(
    readonly file: string,
    private fd: number | undefined,
  ) {}

  /**
   * Opens for append, creating the file (and its directory) if needed and cutting off a torn last
   * line. A journal with a bad line, or a record from a newer release, is refused untouched (InputError).
   */
  static open(file: string): { journal: FileJournal; repaired?: string } {
    fs.mkdirSync(dirname(file), { recursive: true });
    const existed = fs.existsSync(file);
    const repaired = existed ? cutTornTail(file) : undefined;
    const fd = fs.openSync(file, 'a');
    // A new file's directory entry must survive a crash too, or the first records vanish with it.
    if (!existed) syncDir(dirname(file));
    return { journal: new FileJournal(file, fd), repaired };
  }

  append(record: NewRecord): JournalRecord {
    if (this.fd === undefined) throw new Error(`journal ${this.file} is closed`);
    const r: JournalRecord = { v: 1, ...record };
    fs.writeSync(this.fd, `${JSON.stringify(r)}\n`);
    fs.fsyncSync(this.fd);
    return r;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface JournalRead {
  records: JournalRecord[];
  /** What was tolerated: a torn last line. */
  notes: string[];
}

/**
 * Every record of a journal file (none when it does not exist). A torn last line (no newline,
 * not JSON) is dropped with a note; any other bad line, and a record of an unknown kind or
 * version, is an InputError naming file and line.
 */
export function readJournal(file: string): JournalRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], notes: [] };
    throw err;
  }
  return parseJournal(file, text);
}

export function parseJournal(file: string, text: string): JournalRead {
  const { lines, torn } = splitLines(text);
  const records = lines.map((line, i) => recordOn(file, i + 1, line));
  const notes = torn
    ? [
        `${file}:${lines.length + 1}: ignored a torn last line (${Buffer.byteLength(torn)} bytes, a crash mid-write): not JSON`,
      ]
    : [];
  return { records, notes };
}

/**
 * The file's lines, and its torn tail: a last line without its newline that is not JSON. Each
 * record is written whole with its newline in one write(), so a crash can tear only that; a
 * last line without its newline that parses is a whole record (kept) or refused like any other.
 */
function splitLines(text: string): { lines: string[]; torn?: string } {
  const lines = text.split('\n');
  const last = lines.pop()!;
  if (last === '') return { lines };
  if (!parses(last)) return { lines, torn: last };
  return { lines: [...lines, last] };
}

function parses(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** The record on line `n`, or an InputError saying why it is not one. */
function recordOn(file: string, n: number, line: string): JournalRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw corrupt(file, n, 'not JSON');
  }
  const r = value as Partial<JournalRecord> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw corrupt(file, n, 'not an object');
  if (typeof r.v !== 'number') throw corrupt(file, n, 'no format version');
  // A newer release's records are kept as they are: refusing is safe, guessing at them is not.
  if (r.v !== 1) throw newer(file, n, `version ${JSON.stringify(r.v)}`);
  if (!(RECORD_KINDS as readonly unknown[]).includes(r.kind))
    throw newer(file, n, `kind ${JSON.stringify(r.kind)}`);
  if (typeof r.pool !== 'string' || typeof r.at !== 'string') throw corrupt(file, n, 'no pool or time');
  return r as JournalRecord;
}

function corrupt(file: string, n: number, problem: string): InputError {
  return new InputError(
    file,
    n,
    `corrupt journal record (${problem}); only a last line without its newline may be torn`,
  );
}

function newer(file: string, n: number, what: string): InputError {
  return new InputError(
    file,
    n,
    `record of unknown ${what} (written by a newer shadowcast?); refusing to touch this journal`,
  );
}

/**
 * Checks the whole file (an InputError, before anything is changed, when a line is bad or from a
 * newer release) and cuts a torn last line off; says what was cut, or undefined when nothing was.
 */
function cutTornTail(file: string): string | undefined {
  const text = fs.readFileSync(file, 'utf8');
  const { lines, torn } = splitLines(text);
  lines.forEach((line, i) => recordOn(file, i + 1, line));
  if (torn === undefined) {
    // A whole record without its newline: keep it, end the line.
    if (text !== '' && !text.endsWith('\n')) fs.appendFileSync(file, '\n');
    return undefined;
  }
  fs.truncateSync(file, Buffer.byteLength(text) - Buffer.byteLength(torn));
  return `dropped a torn last line (line ${lines.length + 1}, ${Buffer.byteLength(torn)} bytes) left by a crash mid-write`;
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the file's own fsync still holds its records.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
