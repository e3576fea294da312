// Node failure risk as plain data: what the RiskModel seam takes (one node's metric samples, in
// time order) and what it gives (a failure probability score in [0, 1], with its parts).

/** One row of a node's resource metrics; a metric missing from a row is simply absent or NaN. */
export interface NodeSample {
  /** Epoch milliseconds; strictly increasing per node. */
  t: number;
  values: Readonly<Record<string, number>>;
}

/** The score of one sample and what it was made of, so a person can see why a node looks risky. */
export interface RiskScore {
  t: number;
  /** Consensus failure probability score in [0, 1]. */
  score: number;
  /** Each model's calibrated probability, by model name. */
  parts: Record<string, number>;
  /** The metric behind the consensus at this sample (the classifier's riskiest metric), if any. */
  blame?: string;
  /** The metric behind each model's part, by model name, where the model names one. */
  partBlame?: Record<string, string>;
}

/** An online scorer for one node: `update` sees samples in time order and never looks ahead. */
export interface RiskModel {
  readonly name: string;
  update(sample: NodeSample): RiskScore;
}
