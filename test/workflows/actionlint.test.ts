// actionlint (github.com/rhysd/actionlint) on every workflow in .github/workflows: syntax, expression
// types, `needs`/`steps` references, runner labels, action inputs, untrusted input reaching a
// script, and, with shellcheck on PATH, each `run:` script. GitHub only finds such a mistake when a
// workflow runs (or silently skips a step); here it fails the suite with actionlint's own lines.
//
// The binary must be on PATH. Debian has no actionlint package (bookworm); it is built from its Go
// module: `go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12`. Where it is missing the
// suite prints one line and skips, unless SHADOWCAST_SERVERS_REQUIRED=1 (CI), where it fails.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SUITE = 'actionlint on .github/workflows';
const root = resolve(import.meta.dirname, '..', '..');
const workflows = join(root, '.github', 'workflows');

/** actionlint's version line, or undefined when it is not on PATH; registers the skip line or the failure. */
function actionlintVersion(): string | undefined {
  const r = spawnSync('actionlint', ['-version'], { encoding: 'utf8' });
  const version = r.status === 0 ? r.stdout.split('\n')[0] : undefined;
  const why =
    'actionlint is not on PATH (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12; Debian has no package)';
  if (!version && process.env.SHADOWCAST_SERVERS_REQUIRED === '1') {
    it('has actionlint on PATH (SHADOWCAST_SERVERS_REQUIRED=1)', () => {
      expect.fail(`${SUITE}: SHADOWCAST_SERVERS_REQUIRED=1, but ${why}`);
    });
  } else if (!version) console.log(`${SUITE}: skipped: ${why}`);
  return version;
}

/** actionlint on the files (it names them relative to `cwd`): its exit status and findings, one a line. */
function lint(files: string[], cwd = root): { status: number | null; findings: string[]; stderr: string } {
  const r = spawnSync('actionlint', ['-oneline', '-no-color', ...files], { cwd, encoding: 'utf8' });
  return { status: r.status, findings: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
}

const version = actionlintVersion();

describe.skipIf(!version)(SUITE, () => {
  it('finds nothing in any workflow', () => {
    const files = readdirSync(workflows)
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => join('.github', 'workflows', name));
    expect(files).toContain(join('.github', 'workflows', 'policy-pr.yml'));
    if (spawnSync('shellcheck', ['--version']).status !== 0) {
      const why = 'shellcheck is not on PATH: run: scripts are not checked (apt-get install shellcheck)';
      // CI installs it: there, a missing shellcheck fails rather than quietly checking less.
      if (process.env.SHADOWCAST_SERVERS_REQUIRED === '1')
        expect.fail(`${SUITE}: SHADOWCAST_SERVERS_REQUIRED=1, but ${why}`);
      console.log(`${SUITE}: ${why}`);
    }
    // 0: nothing found; 1: findings (listed); 2 or 3: actionlint itself failed (its stderr says why).
    expect(lint(files), `actionlint ${version}`).toEqual({ status: 0, findings: [], stderr: '' });
  });

  it('reports a mistake at its file and line, so a pass means it looked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowcast-actionlint-'));
    writeFileSync(
      join(dir, 'broken.yml'),
      [
        'on: pull_request',
        'jobs:',
        '  build:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - run: echo "${{ steps.missing.outputs.x }}"',
        '',
      ].join('\n'),
    );
    const r = lint(['broken.yml'], dir);
    expect(r.status).toBe(1);
    expect(r.findings).toEqual([expect.stringMatching(/^broken\.yml:6:\d+: .*"missing"/)]);
  });
});
