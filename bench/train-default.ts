// `npm run train-default`: trains the built-in risk model that `risk score` uses when no
// --model is given, on the degradations injected into SMD's train split and the real labelled
// anomalies of the shared SMD machines, and writes
// src/risk/default-model.json. Seeded and deterministic: run it twice, get the same file.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainRiskModel } from '../src/risk/train.js';
import { repoRoot } from './common.js';
import { smdLabelledEpisodes } from './risk-data.js';
import { labeledNode, labelledEventsNode, TRAIN_SOURCE, trainEpisodes } from './risk.js';

// Slow injected degradations teach the climb to a limit; the real anomalies of the four SMD
// machines in the shared data teach jumps and shifts. Validation (npm run bench) uses other hosts.
const nodes = [...trainEpisodes().map(labeledNode), ...smdLabelledEpisodes().map(labelledEventsNode)];
const model = trainRiskModel(nodes, { source: TRAIN_SOURCE });
const out = join(repoRoot(), 'src', 'risk', 'default-model.json');
writeFileSync(out, `${JSON.stringify(model, null, 1)}\n`);
process.stderr.write(`wrote ${out}: ${model.trained.failures} failures, ${model.trained.rows} rows\n`);
