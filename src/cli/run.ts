// `shadowcast run --once`: the main job on every pool of the forecast specs; `npm start` runs
// it on the embedded default (forecasts/ in this repository, state in .shadowcast/).

import { join, relative } from 'node:path';
import { exitCodeFor, UsageError } from '../core/errors.js';
import { forecastSpecs, loadSpecs } from '../schedule/run.js';
import { writeForecastFiles } from './forecast.js';
import { fmt, table } from './output.js';

export interface RunFlags {
  once: boolean;
  specs: string;
  state: string;
  pools?: string[];
}

export class RunFailed extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export async function runCommand(flags: RunFlags): Promise<void> {
  if (!flags.once) throw new UsageError('scheduled runs are not available yet; use `run --once`');
  const specs = await loadSpecs(flags.specs, flags.pools);
  if (specs.length === 0) throw new UsageError(`no forecast specs (*.yaml) in ${flags.specs}`);
  const tty = process.stderr.isTTY;
  const outcomes = await forecastSpecs(specs, (spec, i) => {
    if (tty) process.stderr.write(`\r[${i + 1}/${specs.length}] forecasting ${spec.pool}…\x1b[K`);
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const rows: (string | number)[][] = [];
  let worst = 0;
  for (const o of outcomes) {
    if (!o.result) {
      worst = Math.max(worst, exitCodeFor(o.error));
      process.stderr.write(`shadowcast: ${o.pool}: ${(o.error as Error).message}\n`);
      continue;
    }
    const r = o.result;
    const dir = join(flags.state, 'forecasts', o.pool);
    await writeForecastFiles(dir, r, o.pool);
    const f = r.forecast;
    let peak = 0;
    for (let i = 1; i < f.upper.length; i++) if (f.upper[i]! > f.upper[peak]!) peak = i;
    rows.push([
      o.pool,
      r.model,
      r.series.values.length,
      f.mean.length,
      fmt(f.mean[peak]!),
      fmt(f.upper[peak]!),
      new Date(f.timestamps[peak]!).toISOString().slice(0, 16).replace('T', ' '),
      r.events.length,
      relative(process.cwd(), join(dir, 'forecast.svg')),
    ]);
  }
  if (rows.length) {
    process.stdout.write(
      `${table(['pool', 'model', 'history', 'horizon', 'peak mean', `peak upper`, 'peak at (UTC)', 'events', 'chart'], rows)}\n`,
    );
  }
  if (worst)
    throw new RunFailed(`${outcomes.length - rows.length} of ${outcomes.length} pools failed`, worst);
}
