// `shadowcast policy comment` and `policy validate --format github` as the pull-request workflow
// (.github/workflows/policy-pr.yml) runs them: the built CLI as a child process (`npm test` builds
// first) on copies of the committed policies/ in temporary directories, edited the way a pull
// request edits them. Checked: the marker on the first line, by which the workflow finds its comment
// again; the comment for an unchanged and a changed policy directory; an invalid head's complaints
// at file:line:col; bad flags; and the exact annotation lines GitHub shows at a policy's line.

import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { annotation } from '../../src/cli/github-annotations.js';
import { POLICY_COMMENT_MARKER } from '../../src/report/policy-comment.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Async, so that the tests of a file (declared concurrent) spawn side by side. */
function run(args: string[], cwd = root): Promise<Result> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd, encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** A copy of the committed policies/ at DIR/NAME, with each file's edits applied (from → to). */
function policiesCopy(name = 'policies', edits: Record<string, [string, string][]> = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'shadowcast-policy-comment-')), name);
  cpSync(join(root, 'policies'), dir, { recursive: true });
  for (const [file, changes] of Object.entries(edits)) {
    let text = readFileSync(join(dir, file), 'utf8');
    for (const [from, to] of changes) {
      expect(text, `${file} has "${from}"`).toContain(from);
      text = text.replace(from, to);
    }
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** The 1-based line and column of `text`'s first occurrence in a file. */
function placeOf(file: string, text: string): { line: number; column: number } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(text));
  expect(line, `${file} has "${text}"`).toBeGreaterThanOrEqual(0);
  return { line: line + 1, column: lines[line]!.indexOf(text) + 1 };
}

describe.concurrent('policy comment', () => {
  it('an unchanged policy directory: the marker first, the head valid, no pool changes behaviour', async () => {
    const head = policiesCopy();
    const r = await run(['policy', 'comment', '--base', 'policies', '--head', head, '--no-forecast']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      POLICY_COMMENT_MARKER,
      '## shadowcast: policy check',
      '',
      `### shadowcast policy validate: \`${head}\``,
      '',
      '✅ policies OK: 3 files, 2 pools (checkout-api, storefront)',
      '',
      `### shadowcast policy diff: \`policies\` → \`${head}\``,
      '',
      'No pool changes behaviour.',
      '',
    ]);
  });

  it('a changed pool: the diff with the line that set it and the sizes on the current forecast', async () => {
    const head = policiesCopy('policies', {
      'pools/storefront.yaml': [['headroomPercent: 30', 'headroomPercent: 40']],
    });
    const file = join(head, 'pools', 'storefront.yaml');
    const r = await run([
      'policy',
      'comment',
      '--base',
      'policies',
      '--head',
      head,
      '--base-label',
      'main (1a2b3c4)',
      '--head-label',
      'campaign (5d6e7f8)',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(POLICY_COMMENT_MARKER);
    expect(lines).toContain('### shadowcast policy validate: `campaign (5d6e7f8)`');
    expect(lines).toContain('✅ policies OK: 3 files, 2 pools (checkout-api, storefront)');
    expect(lines).toContain('### shadowcast policy diff: `main (1a2b3c4)` → `campaign (5d6e7f8)`');
    expect(lines).toContain(`**storefront** (${file})`);
    expect(lines).toContain(
      `| \`capacity.headroomPercent\` | \`30\` | \`40\` | ${file}:${placeOf(file, 'headroomPercent').line} |`,
    );
    // More headroom, more primaries at the peak (forecasts/storefront.yaml's forecast).
    expect(r.stdout).toMatch(
      /- primary at the next peak: (\d+) instances → (\d+) instances \(\+\d+ instances\)/,
    );
    // The pool the pull request leaves alone is not in the diff.
    expect(r.stdout).not.toContain('**checkout-api**');
  });

  it('an invalid head: every complaint at file:line:col, no diff, exit 0 having written the comment', async () => {
    const head = policiesCopy('policies', {
      'pools/storefront.yaml': [['headroomPercent: 30', 'headroomPercent: -5']],
      'defaults.yaml': [["# cron: '*/15 * * * *'", "cron: '* * *'"]],
    });
    const storefront = join(head, 'pools', 'storefront.yaml');
    const defaults = join(head, 'defaults.yaml');
    const headroom = placeOf(storefront, '-5');
    const cron = placeOf(defaults, "'* * *'");
    const r = await run(['policy', 'comment', '--base', 'policies', '--head', head, '--head-label', 'pr']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.split('\n')).toEqual([
      POLICY_COMMENT_MARKER,
      '## shadowcast: policy check',
      '',
      '### shadowcast policy validate: `pr`',
      '',
      '❌ 2 errors in 2 policy files:',
      '',
      // The cron's stars are escaped, so markdown shows them rather than reading emphasis.
      `- \`${defaults}:${cron.line}:${cron.column}\`: schedule.cron: "\\* \\* \\*" needs 5 fields (minute hour day-of-month month day-of-week, like "\\*/15 \\* \\* \\* \\*"); it has 3`,
      `- \`${storefront}:${headroom.line}:${headroom.column}\`: capacity.headroomPercent: -5 must be a number from 0 to 200`,
      '',
      '### shadowcast policy diff',
      '',
      "Not computed: the head's policies do not validate (above).",
      '',
    ]);
  });

  it('an invalid base (what this version refuses on main): its complaints in place of the diff', async () => {
    const base = policiesCopy('base', { 'defaults.yaml': [['maxHourlyCost: 30', 'maxHourlyCost: 30 USD']] });
    const at = placeOf(join(base, 'defaults.yaml'), '30 USD');
    const r = await run(['policy', 'comment', '--base', base, '--head', 'policies', '--no-forecast']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('✅ policies OK: 3 files, 2 pools (checkout-api, storefront)');
    expect(r.stdout).toContain(
      "### shadowcast policy diff\n\nNot computed: the base's policies do not validate with this version of shadowcast:\n\n" +
        `- \`${base}/defaults.yaml:${at.line}:${at.column}\`: guardrails.maxHourlyCost: "30 USD" must be a number`,
    );
  });

  it('bad flags and bad directories: exit 2, the one error line (and for flags the help hint), no comment', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'shadowcast-policy-comment-empty-'));
    expect(await run(['policy', 'comment', '--base', 'policies'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "error: required option '--head <dir>' not specified\n(run the command with --help for its usage)\n",
    });
    expect(await run(['policy', 'comment', '--base', 'policies', '--head', 'policies', '--bogus'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: unknown option '--bogus'\n(run the command with --help for its usage)\n",
    });
    expect(await run(['policy', 'comment', '--base', 'no-such-dir', '--head', 'policies'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'shadowcast: "no-such-dir" is neither a policy directory nor a git ref of this repository\n',
    });
    expect(await run(['policy', 'comment', '--base', 'policies', '--head', empty])).toEqual({
      code: 2,
      stdout: '',
      stderr: `shadowcast: --head ${empty}: no policy files (defaults.yaml, pools/<pool>.yaml)\n`,
    });
  });
});

describe.concurrent('policy validate --format github', () => {
  it('prints each complaint as an ::error annotation at file, line and column, % escaped; exit 2', async () => {
    // A directory whose name has the two characters a property value must escape: `,` and `:`.
    const dir = policiesCopy('ci,policies:pr', {
      'pools/storefront.yaml': [['headroomPercent: 30', 'headroomPercent: -5']],
      'pools/checkout-api.yaml': [['stepSize: 0.05', 'stepSize: 5%']],
    });
    const step = placeOf(join(dir, 'pools', 'checkout-api.yaml'), '5%');
    const headroom = placeOf(join(dir, 'pools', 'storefront.yaml'), '-5');
    const r = await run(
      ['policy', 'validate', '--policies', 'ci,policies:pr', '--format', 'github'],
      dirname(dir),
    );
    expect(r).toEqual({
      code: 2,
      stdout:
        `::error file=ci%2Cpolicies%3Apr/pools/checkout-api.yaml,line=${step.line},col=${step.column}::migration.stepSize: "5%25" must be a number from 0.01 to 1\n` +
        `::error file=ci%2Cpolicies%3Apr/pools/storefront.yaml,line=${headroom.line},col=${headroom.column}::capacity.headroomPercent: -5 must be a number from 0 to 200\n`,
      stderr: 'shadowcast: 2 errors in 2 policy files\n',
    });
  });

  it('prints a warning as a ::warning annotation and passes with the usual line', async () => {
    const dir = policiesCopy('policies', {
      'pools/storefront.yaml': [
        [
          'leadTime: 15m # boot plus cache warm-up',
          'leadTime: 15m\nmigration:\n  gates:\n    - { metric: cpu_seconds, max: 3 }',
        ],
      ],
    });
    const file = join(dir, 'pools', 'storefront.yaml');
    const gates = placeOf(file, 'gates:');
    const r = await run(['policy', 'validate', '--policies', dir, '--format', 'github']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const prefix = `::warning file=${file},line=${gates.line},col=${gates.column}::storefront: migration.gates: metric cpu_seconds is not one the simulated fleet records`;
    expect(lines[0]!.slice(0, prefix.length)).toBe(prefix);
    expect(lines[1]).toBe('policies OK: 3 files, 2 pools (checkout-api, storefront)');
  });

  it('refuses a format it does not know: exit 2, the error line and the help hint', async () => {
    expect(await run(['policy', 'validate', '--format', 'sarif'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "error: option '--format <f>' argument 'sarif' is invalid. Allowed choices are text, github.\n" +
        '(run the command with --help for its usage)\n',
    });
  });
});

describe('annotation', () => {
  it("escapes a message's %, CR and LF, and a property's : and , besides", () => {
    expect(annotation('error', '100% sure\r\nnot', { file: 'a,b:c.yaml', line: 3, column: 7 })).toBe(
      '::error file=a%2Cb%3Ac.yaml,line=3,col=7::100%25 sure%0D%0Anot',
    );
  });

  it('leaves out what it does not know: no column without a line, no properties without a file', () => {
    expect(annotation('warning', 'w', { file: 'f.yaml', column: 2 })).toBe('::warning file=f.yaml::w');
    expect(annotation('notice', 'n')).toBe('::notice::n');
  });
});
