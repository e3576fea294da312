// What every benchmark section shares: where the repository is, and a progress line on stderr.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest ancestor of this module holding package.json (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** One progress line: rewritten in place on a terminal, one line per step in a log. */
export function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K`);
  else process.stderr.write(`${text}\n`);
}

/**
 * Replaces the text of docs/benchmark.md between `<!-- NAME:start -->` and `<!-- NAME:end -->`
 * with `markdown`, so the figures there are the bench's own, never edited by hand. No markers, no
 * change.
 */
export function writeBenchmarkSection(
  name: string,
  markdown: string,
  file = join(repoRoot(), 'docs', 'benchmark.md'),
): boolean {
  const text = readFileSync(file, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return false;
  writeFileSync(file, `${text.slice(0, a + start.length)}\n${markdown.trim()}\n${text.slice(b)}`);
  return true;
}

/** The checkout's commit, marked when the tree had changes (undefined outside a git checkout). */
function headCommit(): string | undefined {
  try {
    const cwd = repoRoot();
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
    }).trim();
    return `${sha}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    // Not a git checkout (a release tarball): the date and machine still say when and where.
    return undefined;
  }
}

/**
 * Where figures came from: the date, the commit (marked when the tree had changes), the machine.
 * `at` names the commit instead, for figures made in another checkout of it.
 */
export function provenance(by = 'npm run bench', at?: string): string {
  const commit = at ?? headCommit();
  const day = new Date().toISOString().slice(0, 10);
  return `Written by \`${by}\` on ${day} at ${commit ? `commit ${commit}` : 'unknown commit'}, Node ${process.version}, ${availableParallelism()} cores.`;
}

/**
 * Runs `script` (a bench module's URL) in its own process with `--child ...args`, so what it
 * measures (peak memory above all) is its own; resolves to the last line it prints, as JSON.
 */
export function childJson<T>(script: string, args: readonly string[], what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(script), '--child', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`${what} exited ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!) as T);
    });
  });
}
