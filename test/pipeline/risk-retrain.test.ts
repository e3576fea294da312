// `run` keeps its risk model fresh: retrained on schedule from the pool's history and labels,
// promoted only when not worse on held-out nodes, kept across runs, reported on /metrics; and
// `run --once` end to end: it scores with the policy's model and does not promote a worse one.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NodeRows } from '../../src/metrics/node-csv.js';
import { defaultModel } from '../../src/risk/default-model.js';
import { splitHoldout } from '../../src/risk/promote.js';
import { type LabeledNode, trainRiskModel } from '../../src/risk/train.js';
import { modelInUse, modelVersion, riskModelForRun } from '../../src/pipeline/risk-retrain.js';
import { RunMetrics } from '../../src/pipeline/telemetry.js';
import { testPolicy } from '../plan/fixtures.js';
import { historyCsv, poolHistory, T0 } from '../risk/pool-history.js';

const DAY = 86_400_000;
const nodes = poolHistory({ nodes: 12, failing: 7, days: 3, seed: 1 });
const rows: NodeRows[] = nodes.map((n) => ({
  node: n.id,
  timestamps: [...n.timestamps],
  metrics: n.metrics,
  lines: n.timestamps.map(() => 0),
}));
const split = splitHoldout(nodes, 0.3);
const heldOut = new Set(split.heldOut.map((n) => n.id));
/**
 * True labels on held-out nodes; on the nodes it trains on, each failure logged at a wrong time
 * (early in the node's history, where nothing happens). The same nodes fail, so the split is the same.
 */
const wrongForTraining: LabeledNode[] = nodes.map((n, k) =>
  heldOut.has(n.id) || !n.failures.length ? n : { ...n, failures: [{ at: n.timestamps[600 + 37 * k]! }] },
);
const NOW = T0 + 3 * DAY;

function workspace(labelled: readonly LabeledNode[], model?: object) {
  const dir = mkdtempSync(join(tmpdir(), 'shadowcast-retrain-'));
  writeFileSync(join(dir, 'labels.csv'), historyCsv(labelled).labels);
  if (model) writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
  const policy = testPolicy((p) => {
    p.risk.retrainEveryMs = DAY;
    p.risk.labels = join(dir, 'labels.csv');
    if (model) p.risk.model = join(dir, 'model.json');
  });
  return { state: join(dir, 'state'), policy };
}

describe('retraining in the run loop', () => {
  it('promotes a retrained model that finds what the one in use misses, keeps it, and retrains only when due', async () => {
    const { state, policy } = workspace(nodes);
    const first = await riskModelForRun(state, 'web', policy, rows, NOW);
    expect(first.retrained?.outcome, first.retrained?.reason).toBe('promoted');
    expect(first.version).not.toBe(modelVersion(defaultModel()));
    expect(first.source).toBe('retrained from built-in');
    expect(first.heldOut!.f1).toBeGreaterThan(first.retrained!.incumbentFigures!.f1 || 0);
    const dir = join(state, 'risk-models', 'web');
    expect(readdirSync(dir).sort()).toEqual([`model-${first.version}.json`, 'retrain.json']);
    // The next run within a day uses it without retraining; a day later it retrains again.
    const next = await riskModelForRun(state, 'web', policy, rows, NOW + DAY / 2);
    expect(next.retrained).toBeUndefined();
    expect(next.version).toBe(first.version);
    expect(modelVersion(next.model)).toBe(first.version);
    const later = await riskModelForRun(state, 'web', policy, rows, NOW + DAY);
    expect(later.retrained).toBeDefined();
    // `plan` reads the same model; a policy that names another model starts afresh from it.
    expect((await modelInUse(state, 'web', policy)).version).toBe(later.version);
    const other = structuredClone(defaultModel());
    other.consensus.incident!.weights[0]! -= 1;
    const elsewhere = mkdtempSync(join(tmpdir(), 'shadowcast-model-'));
    writeFileSync(join(elsewhere, 'm.json'), JSON.stringify(other));
    const changed = { ...policy, risk: { ...policy.risk, model: join(elsewhere, 'm.json') } };
    expect((await modelInUse(state, 'web', changed)).version).toBe(modelVersion(other));
  }, 120_000);

  it('does not promote a worse retrained model: the model in use stays, and says why', async () => {
    const good = trainRiskModel(split.train, {});
    const { state, policy } = workspace(wrongForTraining, good);
    const r = await riskModelForRun(state, 'web', policy, rows, NOW);
    expect(r.retrained?.outcome, r.retrained?.reason).toBe('kept');
    expect(r.retrained?.reason).toMatch(/^the retrained model is worse on 4 held-out nodes/);
    expect(r.version).toBe(modelVersion(good));
    expect(r.source).toBe(policy.risk.model);
    expect(r.heldOut).toEqual(r.retrained!.incumbentFigures);
    const dir = join(state, 'risk-models', 'web');
    expect(readdirSync(dir)).toEqual(['retrain.json']);
    const again = await modelInUse(state, 'web', policy);
    expect(again.version).toBe(modelVersion(good));
    expect(again.lastRetrain?.outcome).toBe('kept');
  }, 120_000);

  it('skips with a reason when too few nodes have labelled failures, and fails softly on a missing labels file', async () => {
    const two = nodes.map((n, k) => (k < 2 ? n : { ...n, failures: [] }));
    const { state, policy } = workspace(two);
    const skipped = await riskModelForRun(state, 'web', policy, rows, NOW);
    expect(skipped.retrained?.outcome).toBe('skipped');
    expect(skipped.retrained?.reason).toContain('at least 3');
    expect(skipped.version).toBe(modelVersion(defaultModel()));
    const missing = { ...policy, risk: { ...policy.risk, labels: join(state, 'nope.csv') } };
    const failed = await riskModelForRun(join(state, 'b'), 'web', missing, rows, NOW);
    expect(failed.retrained?.outcome).toBe('failed');
    expect(failed.retrained?.reason).toContain('nope.csv');
  }, 60_000);

  it("puts the model's version, held-out figures and retraining outcome on /metrics", async () => {
    const { state, policy } = workspace(nodes);
    const m = await riskModelForRun(state, 'web', policy, rows, NOW);
    const metrics = new RunMetrics({ processMetrics: false });
    const { model: _model, ...about } = m;
    metrics.riskModel('web', about);
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      `shadowcast_risk_model_info{pool="web",version="${m.version}",source="retrained from built-in"} 1`,
    );
    expect(text).toContain(`shadowcast_risk_model_heldout{pool="web",figure="f1"} ${m.heldOut!.f1}`);
    expect(text).toContain('shadowcast_risk_model_retrains_total{pool="web",outcome="promoted"} 1');
  }, 120_000);
});

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

describe('run --once with retraining', () => {
  it("scores with the policy's model, does not promote a worse retrained one, and reports both", () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowcast-run-retrain-'));
    cpSync(join(root, 'policies'), join(dir, 'policies'), { recursive: true });
    cpSync(join(root, 'forecasts'), join(dir, 'forecasts'), { recursive: true });
    const csv = historyCsv(wrongForTraining);
    writeFileSync(join(dir, 'forecasts', 'data', 'pool-nodes.csv'), historyCsv(nodes).rows);
    writeFileSync(join(dir, 'policies', 'labels.csv'), csv.labels);
    writeFileSync(join(dir, 'policies', 'good.json'), JSON.stringify(trainRiskModel(split.train, {})));
    const spec = readFileSync(join(dir, 'forecasts', 'storefront.yaml'), 'utf8').replace(
      /nodes:\n {2}file: data\/storefront-nodes\.csv/,
      'nodes:\n  file: data/pool-nodes.csv',
    );
    expect(spec).toContain('data/pool-nodes.csv');
    writeFileSync(join(dir, 'forecasts', 'storefront.yaml'), spec.replace(/\n {2}workloads:[\s\S]*$/, '\n'));
    const defaults = readFileSync(join(dir, 'policies', 'defaults.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'policies', 'defaults.yaml'),
      `${defaults}\nrisk:\n  model: good.json\n  retrainEvery: 1d\n  labels: labels.csv\n`,
    );
    const state = join(dir, 'state');
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'run',
        '--once',
        '--pools',
        'storefront',
        '--specs',
        join(dir, 'forecasts'),
        '--policies',
        join(dir, 'policies'),
        '--state',
        state,
      ],
      { cwd: dir, encoding: 'utf8', timeout: 300_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const good = JSON.parse(readFileSync(join(dir, 'policies', 'good.json'), 'utf8'));
    const version = modelVersion(good);
    expect(r.stdout).toContain(`(model ${join(dir, 'policies', 'good.json')};`);
    const retrain = JSON.parse(
      readFileSync(join(state, 'risk-models', 'storefront', 'retrain.json'), 'utf8'),
    );
    expect(retrain.inUse).toBe(version);
    expect(retrain.last.outcome).toBe('kept');
    expect(existsSync(join(state, 'risk-models', 'storefront', `model-${retrain.last.candidate}.json`))).toBe(
      false,
    );
    const reports = join(state, 'reports');
    const md = readdirSync(reports).find((f) => f.endsWith('.md'));
    const html = readdirSync(reports).find((f) => f.endsWith('.html'));
    const summary = readFileSync(join(reports, md!), 'utf8');
    expect(summary).toContain(`**storefront** risk model ${version}`);
    expect(summary).toMatch(/last retraining [\d-]+ [\d:]+ UTC: kept: the retrained model is worse/);
    expect(readFileSync(join(reports, html!), 'utf8')).toContain(`risk model ${version}`);
  }, 300_000);
});
