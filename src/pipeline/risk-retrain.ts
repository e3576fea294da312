// The failure-risk model a pool's runs use, kept fresh. The policy's `risk.model` is where a pool
// starts; with `risk.retrainEvery` and `risk.labels`, `run` retrains a model from the pool's own
// node history and labelled failures when that long has passed since the last attempt, judges it
// against the model in use on whole nodes it never trained on (src/risk/promote.ts), and promotes
// it only when it is not worse. What is kept, in STATE/risk-models/POOL/:
//
// - model-VERSION.json: a promoted model, a model file as `risk train` writes (so `risk score
//   --model` reads it too); VERSION is the first 12 hex digits of the SHA-256 of its JSON.
// - retrain.json: the model in use (its version, the policy model it was retrained from, when it
//   was promoted, its held-out figures) and the last attempt (when, its outcome, why, both
//   models' figures). Written after the model file, atomically: a crash between the two leaves
//   the previous model in use and an unreferenced file the next promotion clears away.
//
// A promoted model is used while the policy's `risk.model` is the one it was retrained from: a
// new model named in the policy (a reviewed change) starts afresh. A retraining that cannot run
// (no labels file, too few labelled nodes, bad rows) keeps the model in use and says why; it never
// stops a run.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../core/errors.js';
import { thresholdsFor } from '../core/risk.js';
import { writeFileAtomically } from '../deploy/sim/store.js';
import { parseLabelsCsv } from '../metrics/labels-csv.js';
import type { NodeRows } from '../metrics/node-csv.js';
import { readInput } from '../metrics/read-input.js';
import type { Policy } from '../policy/types.js';
import type { RiskModelFile } from '../risk/model.js';
import type { HeldOutFigures } from '../risk/promote.js';
import type { LabeledNode } from '../risk/train.js';
import { BUILT_IN_MODEL, loadRiskModel } from './risk-model.js';

export type RetrainOutcome = 'promoted' | 'kept' | 'skipped' | 'failed';

export interface RetrainAttempt {
  /** Epoch ms. */
  at: number;
  outcome: RetrainOutcome;
  reason: string;
  /** The retrained model's version, when one was trained. */
  candidate?: string;
  candidateFigures?: HeldOutFigures;
  incumbentFigures?: HeldOutFigures;
}

/** The model a pool's run scores its nodes with, and what is known of it. */
export interface ModelInUse {
  model: RiskModelFile;
  /** First 12 hex digits of the SHA-256 of the model's JSON. */
  version: string;
  /** `built-in`, the policy's model file, or `retrained from` one of them. */
  source: string;
  /** The version of the policy's model, which a retrained model grew from. */
  base: string;
  /** When a retrained model was promoted (epoch ms). */
  promotedAt?: number;
  /** Its figures on held-out nodes, once a retraining has judged it. */
  heldOut?: HeldOutFigures;
  /** The last retraining attempt, if any. */
  lastRetrain?: RetrainAttempt;
  /** This run's attempt, when one was due. */
  retrained?: RetrainAttempt;
}

interface RetrainState {
  format: 'shadowcast-risk-retrain';
  /** The version of the policy model the kept model grew from. */
  base: string;
  /** The model in use: `base` itself, or a promoted model's version (its file beside this one). */
  inUse: string;
  promotedAt?: number;
  heldOut?: HeldOutFigures;
  last?: RetrainAttempt;
}

export function modelVersion(model: RiskModelFile): string {
  return createHash('sha256').update(JSON.stringify(model)).digest('hex').slice(0, 12);
}

const dirOf = (stateDir: string, pool: string) => join(stateDir, 'risk-models', pool);
const modelFile = (dir: string, version: string) => join(dir, `model-${version}.json`);

/** The state file, or undefined when there is none or it cannot be read (the policy model is used). */
function readState(dir: string): RetrainState | undefined {
  try {
    const state = JSON.parse(readFileSync(join(dir, 'retrain.json'), 'utf8')) as RetrainState;
    return state.format === 'shadowcast-risk-retrain' && typeof state.inUse === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The model a pool uses now: a promoted model grown from the policy's, else the policy's. */
export async function modelInUse(stateDir: string, pool: string, policy: Policy): Promise<ModelInUse> {
  const base = await loadRiskModel(policy.risk.model);
  const baseVersion = modelVersion(base);
  const source = policy.risk.model === BUILT_IN_MODEL ? BUILT_IN_MODEL : policy.risk.model;
  const dir = dirOf(stateDir, pool);
  const state = readState(dir);
  const fresh: ModelInUse = { model: base, version: baseVersion, source, base: baseVersion };
  if (!state || state.base !== baseVersion) return fresh;
  const withState = (m: ModelInUse): ModelInUse => {
    if (state.heldOut) m.heldOut = state.heldOut;
    if (state.last) m.lastRetrain = state.last;
    return m;
  };
  if (state.inUse === baseVersion) return withState(fresh);
  try {
    const file = modelFile(dir, state.inUse);
    const model = await loadRiskModel(file);
    if (modelVersion(model) !== state.inUse) return fresh;
    const m: ModelInUse = { ...fresh, model, version: state.inUse, source: `retrained from ${source}` };
    if (state.promotedAt !== undefined) m.promotedAt = state.promotedAt;
    return withState(m);
  } catch {
    // A promoted model that cannot be read: the policy's model stands until the next promotion.
    return fresh;
  }
}

/**
 * The model for this run, retrained first when the policy asks and the last attempt is older than
 * `risk.retrainEvery`. `rows` are the pool's nodes as the run read them; `zone` reads the labels'
 * timestamps without an offset.
 */
export async function riskModelForRun(
  stateDir: string,
  pool: string,
  policy: Policy,
  rows: readonly NodeRows[],
  now: number,
  zone = 'UTC',
): Promise<ModelInUse> {
  const inUse = await modelInUse(stateDir, pool, policy);
  const every = policy.risk.retrainEveryMs;
  if (every === undefined) return inUse;
  if (inUse.lastRetrain && now - inUse.lastRetrain.at < every) return inUse;
  const attempt = await retrain(inUse, policy, rows, now, zone);
  const { record, promoted } = attempt;
  const dir = dirOf(stateDir, pool);
  // The model in use after this attempt; the state file is what it says.
  const next: ModelInUse = promoted
    ? {
        ...inUse,
        ...promoted,
        source: inUse.source.startsWith('retrained from ') ? inUse.source : `retrained from ${inUse.source}`,
        promotedAt: now,
        heldOut: record.candidateFigures!,
      }
    : { ...inUse, ...(record.incumbentFigures ? { heldOut: record.incumbentFigures } : {}) };
  next.lastRetrain = record;
  next.retrained = record;
  // The model first, then the state that names it: a crash between leaves the old model in use.
  if (promoted) writeFileAtomically(modelFile(dir, next.version), `${JSON.stringify(next.model, null, 1)}\n`);
  const state: RetrainState = {
    format: 'shadowcast-risk-retrain',
    base: next.base,
    inUse: next.version,
    last: record,
  };
  if (next.promotedAt !== undefined) state.promotedAt = next.promotedAt;
  if (next.heldOut) state.heldOut = next.heldOut;
  writeFileAtomically(join(dir, 'retrain.json'), `${JSON.stringify(state, null, 1)}\n`);
  pruneModels(dir, state.inUse);
  return next;
}

/** Removes model files other than the one in use. */
function pruneModels(dir: string, keep: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    if (/^model-[0-9a-f]{12}\.json$/.test(f) && f !== `model-${keep}.json`)
      rmSync(join(dir, f), { force: true });
  }
}

interface Attempt {
  record: RetrainAttempt;
  promoted?: { model: RiskModelFile; version: string };
}

/** Nodes that fail (or have incidents) on each side of the split: fit and calibrate need two, the judge one. */
const MIN_FAILING_NODES = 3;

async function retrain(
  inUse: ModelInUse,
  policy: Policy,
  rows: readonly NodeRows[],
  now: number,
  zone: string,
): Promise<Attempt> {
  const at = now;
  const file = policy.risk.labels!;
  let nodes: LabeledNode[];
  try {
    const labels = parseLabelsCsv(file, await readInput(file), zone);
    nodes = rows.map((n) => {
      const l = labels.get(n.node);
      return {
        id: n.node,
        timestamps: n.timestamps,
        metrics: n.metrics,
        failures: (l?.failures ?? []).map((t) => ({ at: t })),
        exclude: l?.incidents ?? [],
      };
    });
  } catch (err) {
    return { record: { at, outcome: 'failed', reason: `labels: ${describeError(err)}` } };
  }
  const failing = nodes.filter((n) => n.failures.length).length;
  if (failing < MIN_FAILING_NODES) {
    return {
      record: {
        at,
        outcome: 'skipped',
        reason: `needs labelled failures on at least ${MIN_FAILING_NODES} of the pool's nodes (to train, calibrate and judge on different nodes); ${failing} ha${failing === 1 ? 's' : 've'} any`,
      },
    };
  }
  // Training and judging load only when a retraining is due.
  const { judge, splitHoldout } = await import('../risk/promote.js');
  const { trainRiskModel } = await import('../risk/train.js');
  const split = splitHoldout(nodes, policy.risk.holdout);
  let candidate: RiskModelFile;
  try {
    candidate = trainRiskModel(split.train, {
      horizonMinutes: inUse.model.horizonMinutes,
      features: inUse.model.features,
      detectors: inUse.model.detectors,
      source: `retrained ${new Date(now).toISOString()} from the pool's history`,
    });
  } catch (err) {
    return { record: { at, outcome: 'failed', reason: `training: ${describeError(err)}` } };
  }
  const threshold = thresholdsFor(policy.standby, 'normal').provision;
  const verdict = judge(inUse.model, candidate, split.heldOut, { threshold });
  const version = modelVersion(candidate);
  const record: RetrainAttempt = {
    at,
    outcome: verdict.promote ? 'promoted' : 'kept',
    reason: verdict.reason,
    candidate: version,
    candidateFigures: verdict.candidate,
    incumbentFigures: verdict.incumbent,
  };
  return verdict.promote ? { record, promoted: { model: candidate, version } } : { record };
}
