// The migration journal: one JSON line per transition, appended and fsync'd before the executor
// acts on what it says, so a crash leaves an exact record of how far a migration got. One file
// per pool, STATE/journal/POOL.jsonl: the pool's lock makes its holder the only writer, so a line
// torn by a crash mid-write can only be the last one. Reading drops such a line with a note;
// opening for append cuts it off first, so it never ends up mid-file. See README, "Deployer and
// journal", for the record format (a contract: tools read it).

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
  /** Who wrote it (migration-started, lock-takeover). */
  pid?: number;
  host?: string;
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

  /** Opens for append, creating the file (and its directory) if needed and cutting off a torn last line. */
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

/** Every record of a journal file (none when it does not exist). A bad line before the last is an InputError. */
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
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const records: JournalRecord[] = [];
  const notes: string[] = [];
  for (const [i, line] of lines.entries()) {
    const problem = recordProblem(line);
    if (typeof problem !== 'string') {
      records.push(problem);
      continue;
    }
    if (i === lines.length - 1) {
      notes.push(
        `${file}:${i + 1}: ignored a torn last line (${line.length} bytes, a crash mid-write): ${problem}`,
      );
    } else
      throw new InputError(
        file,
        i + 1,
        `corrupt journal record (${problem}); only the last line may be torn`,
      );
  }
  return { records, notes };
}

/** The record on this line, or why it is not one. */
function recordProblem(line: string): JournalRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  const r = value as Partial<JournalRecord> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'not an object';
  if (r.v !== 1) return `unknown version ${JSON.stringify(r.v)}`;
  if (!(RECORD_KINDS as readonly unknown[]).includes(r.kind)) return `unknown kind ${JSON.stringify(r.kind)}`;
  if (typeof r.pool !== 'string' || typeof r.at !== 'string') return 'no pool or time';
  return r as JournalRecord;
}

/** Cuts a torn last line off the file; says what was cut, or undefined when the file was whole. */
function cutTornTail(file: string): string | undefined {
  const text = fs.readFileSync(file, 'utf8');
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (body === '') return undefined;
  const start = body.lastIndexOf('\n') + 1;
  const last = body.slice(start);
  if (typeof recordProblem(last) !== 'string') {
    if (text.endsWith('\n')) return undefined;
    // A whole record without its newline: keep it, end the line.
    fs.appendFileSync(file, '\n');
    return undefined;
  }
  const keep = Buffer.byteLength(text.slice(0, start));
  fs.truncateSync(file, keep);
  const line = body.slice(0, start).split('\n').length;
  return `dropped a torn last line (line ${line}, ${Buffer.byteLength(last)} bytes) left by a crash mid-write`;
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
