// `node dist/bench/propagate-main.js`: the propagation benchmark on its own, printing its table
// and JSON (bench/run.ts runs it with the others).

import { benchPropagation } from './propagate.js';

const { markdown, json } = await benchPropagation();
process.stdout.write(`${markdown}\n\n${JSON.stringify(json, null, 2)}\n`);
