// The schema a model file read from disk must pass (`risk score --model`, `run` with a policy's
// model): kept apart from the scorer, so scoring with the built-in model loads no schema library.

import { z } from 'zod';
import { MODEL_FORMAT, MODEL_PARTS } from './model.js';

const logistic = z.object({
  centre: z.array(z.number()),
  scale: z.array(z.number()),
  linear: z.boolean().optional(),
  weights: z.array(z.number()),
});

const stack = logistic.refine(
  (m) => m.centre.length === MODEL_PARTS.length && m.weights.length === MODEL_PARTS.length + 1,
  { message: `a stack takes ${MODEL_PARTS.length} inputs (${MODEL_PARTS.join(', ')})` },
);

export const RiskModelSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.literal(2, {
    error: 'version 2 is the format this shadowcast reads; retrain with `shadowcast risk train`',
  }),
  horizonMinutes: z.number().positive(),
  features: z.object({
    rangeMinutes: z.number().positive(),
    rangeLagMinutes: z.number().nonnegative(),
    climbMinutes: z.number().positive(),
    slowMinutes: z.number().positive(),
    limit: z.number().positive(),
    exhaustionMinutes: z.number().positive(),
  }),
  detectors: z.object({
    levelMinutes: z.number().positive(),
    scaleMinutes: z.number().positive(),
    warmupRows: z.number().int().nonnegative(),
    seasonDays: z.number().int().positive(),
    shiftMinutes: z.number().positive(),
    climbMinutes: z.number().positive(),
    limitMinutes: z.number().positive(),
    limit: z.number().positive(),
    smoothRows: z.number().positive(),
    tailMinutes: z.number().positive(),
  }),
  featureNames: z.array(z.string()),
  classifier: logistic,
  consensus: z
    .object({ degradation: stack.optional(), incident: stack.optional() })
    .refine((c) => c.degradation !== undefined || c.incident !== undefined, {
      message: 'the consensus needs at least one stack',
    }),
  weights: z.object({
    seasonal: z.number().min(0),
    shift: z.number().min(0),
    limit: z.number().min(0),
    classifier: z.number().min(0),
  }),
  trained: z.object({
    nodes: z.number(),
    rows: z.number(),
    failures: z.number(),
    positiveRows: z.number(),
    source: z.string(),
    skill: z.number().optional(),
  }),
});
