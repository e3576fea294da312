// The built-in risk model, used when `risk score` gets no --model: trained by
// `npm run train-default` on degradations injected into the SMD train split. Its probabilities are
// calibrated on that synthetic set, not on your fleet: read them as a ranking until you train on
// your own labelled failures (`risk train`).

import raw from './default-model.json' with { type: 'json' };
import type { RiskModelFile } from './model.js';

export function defaultModel(): RiskModelFile {
  // Written by `npm run train-default` and checked against the schema by the tests: no schema
  // library at start-up.
  return raw as unknown as RiskModelFile;
}
