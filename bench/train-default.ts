// `npm run train-default`: trains the built-in risk model that `risk score` uses when no
// --model is given, on the degradations injected into SMD's train split (seed 1), and writes
// src/risk/default-model.json. Seeded and deterministic: run it twice, get the same file.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainRiskModel } from '../src/risk/train.js';
import { repoRoot } from './common.js';
import { labeledNode, TRAIN_SOURCE, trainEpisodes } from './risk.js';

const model = trainRiskModel(trainEpisodes().map(labeledNode), { source: TRAIN_SOURCE });
const out = join(repoRoot(), 'src', 'risk', 'default-model.json');
writeFileSync(out, `${JSON.stringify(model, null, 1)}\n`);
process.stderr.write(`wrote ${out}: ${model.trained.failures} failures, ${model.trained.rows} rows\n`);
