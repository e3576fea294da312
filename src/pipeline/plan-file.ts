// STATE/plans/POOL/plan.json read back for `apply`: the steps (times as epoch ms again), the
// state the plan was made from, and a key that recognises the same plan applied twice. The file
// is written by `plan` and `run --once` (docs/cli.md, "run", has its format).

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import {
  type MigrationStep,
  type PoolState,
  STEP_KINDS,
  STEP_SUBJECTS,
  type StepSubject,
} from '../core/plan.js';
import type { PlanRecord } from '../deploy/journal.js';
import { parsePoolState } from '../core/pool-state.js';

export interface PlanFile {
  file: string;
  pool: string;
  /** When it was made (epoch ms). */
  at: number;
  /** The pool as it was planned from. */
  current: PoolState;
  steps: MigrationStep[];
  /** What the journal stores of it. */
  record: PlanRecord;
}

export function planFile(stateDir: string, pool: string): string {
  return join(stateDir, 'plans', pool, 'plan.json');
}

/** Pools with a plan in the state directory, by name. */
export async function plannedPools(stateDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(stateDir, 'plans'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const pools: string[] = [];
  for (const name of names.sort()) {
    try {
      await readFile(planFile(stateDir, name));
      pools.push(name);
    } catch {
      // A directory without a plan.json is not a plan.
    }
  }
  return pools;
}

export async function readPlanFile(file: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(file, undefined, 'no plan here: run `shadowcast plan` first');
    }
    throw err;
  }
  return parsePlan(file, text);
}

export function parsePlan(file: string, text: string): PlanFile {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined;
    throw new InputError(file, line, `not JSON: ${(err as Error).message}`);
  }
  // Each problem names the line of the field it is about, as far as the text tells.
  const bad = (path: string, detail: string, near?: string) =>
    new InputError(file, near ? lineOf(text, near) : undefined, `${path}: ${detail}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw bad('plan', 'expected a JSON object');
  const pool = raw.pool;
  if (typeof pool !== 'string' || pool === '') throw bad('pool', 'expected a pool name', '"pool"');
  const at = time(raw.at);
  if (at === undefined) throw bad('at', 'expected an ISO-8601 time', '"at"');
  const current = parsePoolState(raw.current);
  if (typeof current === 'string') throw bad('current', current, '"current"');
  if (!Array.isArray(raw.steps)) throw bad('steps', 'expected a list of steps', '"steps"');
  const steps: MigrationStep[] = [];
  for (const [i, s] of (raw.steps as Record<string, unknown>[]).entries()) {
    const where = `steps[${i}]`;
    const id = s?.id;
    const near = typeof id === 'string' ? JSON.stringify(id) : '"steps"';
    if (typeof id !== 'string' || id === '') throw bad(`${where}.id`, 'expected a step id', near);
    if (!(STEP_KINDS as readonly unknown[]).includes(s.kind)) {
      throw bad(`${where}.kind`, `expected one of ${STEP_KINDS.join(', ')}`, near);
    }
    const notBefore = time(s.notBefore);
    if (notBefore === undefined) throw bad(`${where}.notBefore`, 'expected an ISO-8601 time', near);
    const bakeMs = s.bakeMs;
    if (typeof bakeMs !== 'number' || !(bakeMs >= 0))
      throw bad(`${where}.bakeMs`, 'expected a number >= 0', near);
    const subject = parseSubject(s.subject);
    if (typeof subject === 'string') throw bad(`${where}.subject`, subject, near);
    const st = parsePoolState(s.state);
    if (typeof st === 'string') throw bad(`${where}.state`, st, near);
    steps.push({
      id,
      pool,
      kind: s.kind as MigrationStep['kind'],
      subject,
      state: st,
      notBefore,
      bakeMs,
      reason: typeof s.reason === 'string' ? s.reason : '',
    });
  }
  const ids = new Set(steps.map((s) => s.id));
  if (ids.size !== steps.length) throw bad('steps', 'step ids must be unique', '"steps"');
  return { file, pool, at, current, steps, record: { file, ...planRecord(pool, at, current, steps) } };
}

/**
 * A plan as the executor journals it; its key (sha256 of pool, time, starting state and steps)
 * recognises the same plan applied twice.
 */
export function planRecord(
  pool: string,
  at: number,
  current: PoolState,
  steps: MigrationStep[],
): Omit<PlanRecord, 'file'> {
  const key = createHash('sha256')
    .update(JSON.stringify({ pool, at, current, steps }))
    .digest('hex')
    .slice(0, 16);
  return { at: new Date(at).toISOString(), key, steps };
}

function time(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** A step's subject from JSON: `{what}`, with `nodes` for the node steps. */
function parseSubject(v: unknown): StepSubject | string {
  const shape = `expected {"what": one of ${STEP_SUBJECTS.join(', ')}} (and "nodes" for sync, switch, retire, replace); plans made before subjects existed: plan again`;
  const s = v as { what?: unknown; nodes?: unknown } | null;
  if (typeof s !== 'object' || s === null || !(STEP_SUBJECTS as readonly unknown[]).includes(s.what))
    return shape;
  const what = s.what as StepSubject['what'];
  if (what === 'route' || what === 'provision' || what === 'ready' || what === 'decommission')
    return { what };
  if (
    !Array.isArray(s.nodes) ||
    s.nodes.length === 0 ||
    !s.nodes.every((n) => typeof n === 'string' && n !== '')
  )
    return `expected "nodes" [node, ...] for a ${what} step`;
  return { what, nodes: [...(s.nodes as string[])] };
}

function lineOf(text: string, needle: string): number | undefined {
  const i = text.indexOf(needle);
  return i < 0 ? undefined : text.slice(0, i).split('\n').length;
}
