// What the leading signals did for a forecast, in words and as JSON: `forecast` prints the lines
// and writes the JSON into forecast.json; `run` adds the lines to the pool's report notes.

import { formatDuration } from '../core/time-format.js';
import type { SignalOutcome } from './forecast-pool.js';

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** What the signals did, as forecast.json and `run`'s report show it. */
export function signalsJson(o: SignalOutcome): Record<string, unknown> {
  return {
    used: o.report?.used ?? [],
    dropped: [...(o.report?.dropped ?? []), ...o.vanished.map((v) => ({ ...v, vanished: true }))],
    ...(o.report?.baseScores ? { backtest_without: o.report.baseScores } : {}),
    ...(o.report?.scores ? { backtest_with: o.report.scores } : {}),
    spikes: o.spikes.map((x) => ({
      ...x,
      seenAt: new Date(x.seenAt).toISOString(),
      reachesAt: new Date(x.reachesAt).toISOString(),
    })),
  };
}

/** One line a signal: used at which lag and what it added, or dropped and why. */
export function signalLines(o: SignalOutcome, stepMs: number): string[] {
  const lines: string[] = [];
  for (const u of o.report?.used ?? [])
    lines.push(
      `signal ${u.name}: used, ${formatDuration(u.lag * stepMs)} ahead of demand, ${fmt(u.effect)} per unit, backtest MASE ${Math.round(u.gain * 100)} % lower`,
    );
  for (const d of [...(o.report?.dropped ?? []), ...o.vanished])
    lines.push(`signal ${d.name}: dropped: ${d.reason}`);
  for (const x of o.spikes)
    lines.push(
      `signal ${x.name}: spike (${fmt(x.score)} robust sd): ${x.expectedEffect >= 0 ? '+' : ''}${Math.round(x.expectedEffect * 100)} % demand expected from ${new Date(x.reachesAt).toISOString()}`,
    );
  return lines;
}
