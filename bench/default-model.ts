// The built-in risk model as `npm run train-default` trains it: seeded and deterministic, on the
// degradations injected into SMD's train split and the real labelled anomalies of the four SMD
// machines in bench/data (validation, in `npm run bench`, uses other hosts).

import type { RiskModelFile } from '../src/risk/model.js';
import { trainRiskModel } from '../src/risk/train.js';
import { smdLabelledEpisodes } from './risk-data.js';
import { labeledNode, labelledEventsNode, TRAIN_SOURCE, trainEpisodes } from './risk.js';

export function trainDefaultModel(): RiskModelFile {
  // Slow injected degradations teach the climb to a limit; the real anomalies teach jumps and shifts.
  const nodes = [...trainEpisodes().map(labeledNode), ...smdLabelledEpisodes().map(labelledEventsNode)];
  return trainRiskModel(nodes, { source: TRAIN_SOURCE });
}
