// `npm run train-default`: trains the built-in risk model that `risk score` uses when no
// --model is given (bench/default-model.ts) and writes src/risk/default-model.json. Seeded and
// deterministic: run it twice, get the same file (test/bench/default-model.test.ts checks that
// the committed file is what it trains).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './common.js';
import { trainDefaultModel } from './default-model.js';

const model = trainDefaultModel();
const out = join(repoRoot(), 'src', 'risk', 'default-model.json');
writeFileSync(out, `${JSON.stringify(model, null, 1)}\n`);
process.stderr.write(`wrote ${out}: ${model.trained.failures} failures, ${model.trained.rows} rows\n`);
