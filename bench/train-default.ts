// `npm run train-default`: trains the built-in risk model that `risk score` uses when no
// --model is given, on the degradations injected into SMD's train split (seed 1), and writes
// src/risk/default-model.json. Seeded and deterministic: run it twice, get the same file.

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainRiskModel } from '../src/risk/train.js';
import { labeledNode } from './risk.js';
import { injectedEpisodes } from './risk-data.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith('dist') && dirname(dir) !== dir) dir = dirname(dir);
  return dirname(dir);
}

const nodes = injectedEpisodes('train', 1).map(labeledNode);
const model = trainRiskModel(nodes, {
  source: 'built-in: degradations injected into the SMD train split (npm run train-default, seed 1)',
});
const out = join(repoRoot(), 'src', 'risk', 'default-model.json');
writeFileSync(out, `${JSON.stringify(model, null, 1)}\n`);
process.stderr.write(`wrote ${out}: ${model.trained.failures} failures, ${model.trained.rows} rows\n`);
