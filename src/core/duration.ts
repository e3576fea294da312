// Durations as policies, specs and flags write them ("90s", "10m", "2h", "1d", "1w"), and
// `--horizon`: a number of steps ("48") or a duration converted to steps of the series' sampling
// step, rounded up. Every parse refuses non-finite and absurd numbers, and says the limit: a typo
// like `99999w` must be bad input, not a loop or an allocation without end.

import { UsageError } from './errors.js';
import { formatDuration } from './time-format.js';

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };
export const DAY_MS = 86_400_000;

/** No duration shadowcast reads has a use beyond ten years; past it a number is a typo (or Infinity). */
export const MAX_DURATION_MS = 3660 * DAY_MS;
/** A forecast reaches at most a year (and a day, for leap years) ahead. */
export const MAX_HORIZON_MS = 366 * DAY_MS;
/**
 * ...and at most this many steps: a week of 5-minute steps is 2,016, a year of hours 8,784.
 * Each step costs every model memory and time, so this bounds a run whatever the sampling.
 */
export const MAX_HORIZON_STEPS = 10_000;
/** A horizon in steps of a coarse series (years apart) still ends within dates that print. */
export const MAX_HORIZON_SPAN_MS = 1000 * 365.25 * DAY_MS;

/** Milliseconds, or undefined when `text` is not a duration or longer than MAX_DURATION_MS. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  return Number.isFinite(ms) && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** Text as a message may quote it: one line, not overlong. */
export function quoted(text: string, max = 40): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/**
 * Why `text` is not a duration of at most `maxMs` (and above zero when `positive`), or
 * undefined when it is one. Separate from parseDuration so the message can say the limit.
 */
export function durationProblem(
  text: string,
  maxMs: number,
  { positive = false }: { positive?: boolean } = {},
): string | undefined {
  const shape = `must be a${positive ? ' positive' : ''} duration like 90s, 10m, 2h or 1d`;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  if (!m) return shape;
  const ms = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  if (!(ms <= maxMs)) return `is longer than the limit of ${formatDuration(maxMs)}`;
  if (positive && !(ms > 0)) return shape;
  return undefined;
}

/**
 * Why `text` is not a horizon (a whole number of steps up to MAX_HORIZON_STEPS, or a positive
 * duration up to MAX_HORIZON_MS), or undefined. What can be checked before the step is known.
 */
export function horizonProblem(text: string): string | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1) return 'must be at least 1 step';
    if (n > MAX_HORIZON_STEPS) return `is more than the limit of ${MAX_HORIZON_STEPS} steps`;
    return undefined;
  }
  const problem = durationProblem(t, MAX_HORIZON_MS, { positive: true });
  return problem && /^must/.test(problem)
    ? 'must be a number of steps (48) or a duration (48h, 2d, 90m, 1w)'
    : problem;
}

/** Steps ahead for `text` at a sampling step of `stepMs`; a UsageError names any limit it breaks. */
export function parseHorizon(text: string, stepMs: number): number {
  const problem = horizonProblem(text);
  if (problem) throw new UsageError(`horizon ${quoted(text.trim())} ${problem}`);
  const t = text.trim();
  if (/^\d+$/.test(t)) return stepsWithinSpan(t, Number(t), stepMs);
  const steps = Math.ceil(parseDuration(t)! / stepMs);
  if (!(steps <= MAX_HORIZON_STEPS)) {
    throw new UsageError(
      `horizon ${quoted(t)} is ${steps} steps of ${formatDuration(stepMs)}, more than the limit of ${MAX_HORIZON_STEPS} steps; forecast less far ahead or from a coarser series`,
    );
  }
  return steps;
}

function stepsWithinSpan(text: string, steps: number, stepMs: number): number {
  if (steps * stepMs <= MAX_HORIZON_SPAN_MS) return steps;
  throw new UsageError(
    `horizon ${quoted(text)} reaches ${Math.round((steps * stepMs) / (365.25 * DAY_MS))} years ahead at this series' step, more than the limit of 1000 years`,
  );
}
