// Reference forecasts from R (Prophet, forecast::ets, forecast::auto.arima), fitted on the same series and
// holdouts as our forecasters in the same benchmark run. The work is done by bench/reference.R; this file
// finds R, checks the packages load, feeds the script one JSON job on stdin and parses its one JSON answer.
// R is optional: callers ask referenceAvailable() first and skip the comparison when it is not ok.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './common.js';

export type ReferenceModel = 'prophet' | 'ets' | 'arima';

export interface ReferenceJob {
  id: string;
  /** Epoch milliseconds, one per value, evenly spaced by stepMs. */
  timestamps: number[];
  /** Non-finite values are sent as missing (null); Prophet drops them, ETS uses the longest contiguous run. */
  values: ArrayLike<number>;
  horizon: number;
  stepMs: number;
  seasonLength: number;
  /** Defaults to all three. */
  models?: ReferenceModel[];
}

export interface ReferenceResult {
  id: string;
  model: 'r-prophet' | 'r-ets' | 'r-arima';
  mean: number[];
  lower: number[];
  upper: number[];
  /** Elapsed seconds of fit + predict only (no R start-up, package loading or JSON parsing); NaN on error. */
  seconds: number;
  /** Method actually used (e.g. "ETS(A,N,A)", the stlf fallback for season lengths over 24) and R warnings. */
  note?: string;
  error?: string;
}

const R_PACKAGES = [
  { name: 'jsonlite', apt: 'r-cran-jsonlite' },
  { name: 'prophet', apt: 'r-cran-prophet' },
  { name: 'forecast', apt: 'r-cran-forecast' },
] as const;

const ALL_MODELS: readonly ReferenceModel[] = ['prophet', 'ets', 'arima'];

// Prophet/lubridate ask the system for its time zone when TZ is unset (timedatectl, which fails in
// containers); all our timestamps are UTC anyway.
const R_ENV = { ...process.env, TZ: 'UTC' };

export function referenceScriptPath(): string {
  return join(repoRoot(), 'bench', 'reference.R');
}

let availability: ReturnType<typeof referenceAvailable> | undefined;

/**
 * Whether the R reference can run: `Rscript` is on PATH and library(jsonlite), library(prophet) and
 * library(forecast) all load. When not, `reason` names what is missing and the command that installs it.
 * The answer is cached for the life of the process.
 */
export function referenceAvailable(): { ok: true; version: string } | { ok: false; reason: string } {
  availability ??= checkAvailability();
  return availability;
}

function checkAvailability(): { ok: true; version: string } | { ok: false; reason: string } {
  const script = existsSync(referenceScriptPath()) ? undefined : referenceScriptPath();
  if (script) return { ok: false, reason: `the reference script ${script} is missing` };
  // One line per package: "@@pkg <name> <version>" or "@@missing <name> <why>".
  const probe = [
    'cat("@@R", paste(R.version$major, R.version$minor, sep = "."), "\\n")',
    `for (p in c(${R_PACKAGES.map((p) => `"${p.name}"`).join(', ')})) {`,
    '  r <- tryCatch({ suppressWarnings(suppressPackageStartupMessages(library(p, character.only = TRUE)));',
    '    paste("@@pkg", p, as.character(utils::packageVersion(p))) },',
    '    error = function(e) paste("@@missing", p, gsub("[\\r\\n]+", " ", conditionMessage(e))))',
    '  cat(r, "\\n")',
    '}',
  ].join('\n');
  const run = spawnSync('Rscript', ['-e', probe], { encoding: 'utf8', timeout: 180_000, env: R_ENV });
  const allApt = R_PACKAGES.map((p) => p.apt).join(' ');
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return {
        ok: false,
        reason: `Rscript is not on PATH; install R and the packages with: apt-get install -y r-base-core ${allApt}`,
      };
    }
    return { ok: false, reason: `running Rscript failed: ${run.error.message}` };
  }
  const lines = run.stdout.split('\n').map((l) => l.trim());
  const rVersion = lines.find((l) => l.startsWith('@@R '))?.slice(4);
  if (!rVersion) {
    const tail = run.stderr.trim().split('\n').slice(-5).join(' | ');
    return { ok: false, reason: `Rscript ran but did not answer the probe (exit ${run.status}): ${tail}` };
  }
  const versions: string[] = [`R ${rVersion}`];
  const missing: { name: string; apt: string; why: string }[] = [];
  for (const pkg of R_PACKAGES) {
    const found = lines.find((l) => l.startsWith(`@@pkg ${pkg.name} `));
    if (found) {
      versions.push(`${pkg.name} ${found.split(' ')[2]}`);
      continue;
    }
    const why = lines
      .find((l) => l.startsWith(`@@missing ${pkg.name} `))
      ?.slice(`@@missing ${pkg.name} `.length);
    missing.push({ name: pkg.name, apt: pkg.apt, why: why ?? 'no answer from R' });
  }
  if (missing.length > 0) {
    const what = missing.map((m) => `${m.name} (${m.why})`).join('; ');
    const fix = `apt-get install -y ${missing.map((m) => m.apt).join(' ')}`;
    return { ok: false, reason: `R ${rVersion} cannot load: ${what}. Install with: ${fix}` };
  }
  return { ok: true, version: versions.join(', ') };
}

interface WireResult {
  id: string;
  model: ReferenceResult['model'];
  mean: (number | null)[];
  lower: (number | null)[];
  upper: (number | null)[];
  seconds: number | null;
  note?: string;
  error?: string;
}

function toNumbers(xs: unknown): number[] {
  if (!Array.isArray(xs)) return [];
  return xs.map((x) => (typeof x === 'number' ? x : Number.NaN));
}

function validate(job: ReferenceJob): void {
  const where = `reference job ${job.id}`;
  if (job.timestamps.length !== job.values.length) {
    throw new Error(`${where}: ${job.timestamps.length} timestamps but ${job.values.length} values`);
  }
  if (!Number.isInteger(job.horizon) || job.horizon < 1)
    throw new Error(`${where}: bad horizon ${job.horizon}`);
  if (!(job.stepMs > 0)) throw new Error(`${where}: bad stepMs ${job.stepMs}`);
  if (!Number.isInteger(job.seasonLength) || job.seasonLength < 1) {
    throw new Error(`${where}: bad seasonLength ${job.seasonLength}`);
  }
}

/**
 * Fits R's Prophet, ets and auto.arima on each job and forecasts `horizon` steps at interval `level`
 * (e.g. 0.8). Runs all jobs in one R process; `onProgress` is called after each (job, model) pair.
 * A model that fails in R yields a result with `error` set and empty arrays; a failing R process rejects.
 */
export async function runReference(
  jobs: ReferenceJob[],
  level: number,
  opts?: {
    onProgress?: (done: number, total: number) => void;
    /**
     * Wall-clock bound on each fit (default 120; Infinity for none). Each fit runs in a forked R process
     * that is killed when it overruns; its result then carries `error`. Unbounded, auto.arima on the
     * 2,875 daily Peyton Manning points takes over three minutes, almost all of it failed exact refits.
     */
    timeLimitSeconds?: number;
  },
): Promise<ReferenceResult[]> {
  if (!(level > 0 && level < 1)) throw new Error(`interval level must be in (0, 1), got ${level}`);
  jobs.forEach(validate);
  if (jobs.length === 0) return [];
  const timeLimit = opts?.timeLimitSeconds ?? 120;
  if (!(timeLimit > 0)) throw new Error(`timeLimitSeconds must be positive, got ${timeLimit}`);
  const payload = JSON.stringify({
    level,
    // JSON turns Infinity into null, which the script reads as "no limit".
    time_limit: timeLimit,
    jobs: jobs.map((job) => ({
      id: job.id,
      ds: job.timestamps.map((t) => t / 1000),
      // JSON.stringify turns NaN and ±Infinity into null, which the script reads as NA.
      y: Array.from(job.values),
      horizon: job.horizon,
      freq_seconds: job.stepMs / 1000,
      season_length: job.seasonLength,
      models: job.models ?? ALL_MODELS,
    })),
  });

  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn('Rscript', [referenceScriptPath()], { stdio: ['pipe', 'pipe', 'pipe'], env: R_ENV });
    const out: Buffer[] = [];
    const errTail: string[] = [];
    let pending = '';
    const onErrLine = (line: string): void => {
      const m = /^done (\d+)\/(\d+)$/.exec(line.trim());
      if (m) {
        opts?.onProgress?.(Number(m[1]), Number(m[2]));
        return;
      }
      if (line.trim() === '') return;
      errTail.push(line);
      if (errTail.length > 20) errTail.shift();
    };
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(onErrLine);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ENOENT' ? ' (Rscript not on PATH; see referenceAvailable())' : '';
      reject(new Error(`cannot run Rscript${hint}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (pending) onErrLine(pending);
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else {
        const status = signal ? `signal ${signal}` : `exit ${code}`;
        reject(new Error(`bench/reference.R failed (${status}):\n${errTail.join('\n')}`));
      }
    });
    // If R dies before reading all of stdin, the write fails with EPIPE; 'close' reports the real cause.
    child.stdin.on('error', () => {});
    child.stdin.end(payload);
  });

  let parsed: { results?: WireResult[] };
  try {
    parsed = JSON.parse(stdout) as { results?: WireResult[] };
  } catch (err) {
    throw new Error(`bench/reference.R printed something other than JSON: ${stdout.slice(0, 300)}`, {
      cause: err,
    });
  }
  if (!Array.isArray(parsed.results)) throw new Error('bench/reference.R answered without a results array');
  return parsed.results.map((r): ReferenceResult => {
    const result: ReferenceResult = {
      id: String(r.id),
      model: r.model,
      mean: toNumbers(r.mean),
      lower: toNumbers(r.lower),
      upper: toNumbers(r.upper),
      seconds: typeof r.seconds === 'number' ? r.seconds : Number.NaN,
    };
    if (typeof r.note === 'string') result.note = r.note;
    if (typeof r.error === 'string') result.error = r.error;
    return result;
  });
}
