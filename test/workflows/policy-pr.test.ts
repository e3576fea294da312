// .github/workflows/policy-pr.yml cannot run here (no GitHub, no Pulumi CLI): this checks that it
// parses and does what docs/policies.md says: it runs only for pull requests that change
// policies/, validates them as annotations, checks the base commit out into a worktree, writes the
// comment with `policy comment` and posts it once (a later push updates it, found by the marker the
// command writes), skips the post with a notice for a fork, and previews the policy pack on both
// example stacks. The post step's script runs for real against a fake `gh`, to see it PATCH the
// comment it finds and POST one otherwise.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICY_COMMENT_MARKER } from '../../src/report/policy-comment.js';
import { type Job, readWorkflow, runs } from '../support/workflow.js';

const workflow = readWorkflow('policy-pr.yml');
const comment = workflow.jobs.comment!;
const preview = workflow.jobs.preview!;
const stepRunning = (job: Job, text: string) => {
  const step = job.steps.find((s) => s.run?.includes(text));
  expect(step, `a step runs ${text}`).toBeDefined();
  return step!;
};
const postStep = stepRunning(comment, 'gh api');

describe('the policy-pr workflow', () => {
  it('runs for pull requests that change policies/ only, one run a pull request at a time', () => {
    expect(workflow.on).toEqual({ pull_request: { paths: ['policies/**'] } });
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(workflow.concurrency).toEqual({
      group: 'policy-pr-${{ github.event.pull_request.number }}',
      'cancel-in-progress': true,
    });
  });

  it('builds the CLI, validates as annotations, then comments from a worktree of the base commit', () => {
    expect(comment.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    const checkout = comment.steps.find((s) => s.uses === 'actions/checkout@v5');
    expect(checkout?.with?.['fetch-depth']).toBe(0);
    const node = comment.steps.find((s) => s.uses === 'actions/setup-node@v5');
    expect(node?.with).toEqual({ 'node-version': 20, cache: 'npm' });
    const order = [
      comment.steps.indexOf(checkout!),
      comment.steps.indexOf(node!),
      comment.steps.indexOf(stepRunning(comment, 'npm ci')),
      comment.steps.indexOf(stepRunning(comment, 'npm run build')),
      comment.steps.indexOf(stepRunning(comment, 'policy validate --format github')),
      comment.steps.indexOf(stepRunning(comment, 'git worktree add')),
      comment.steps.indexOf(stepRunning(comment, 'policy comment')),
      comment.steps.indexOf(postStep),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const worktree = stepRunning(comment, 'git worktree add');
    expect(worktree.run).toContain('git worktree add --detach "$RUNNER_TEMP/base" "$BASE_SHA"');
    expect(worktree.env?.BASE_SHA).toBe('${{ github.event.pull_request.base.sha }}');
    const write = stepRunning(comment, 'policy comment');
    expect(write.run).toMatch(/--base "\$RUNNER_TEMP\/base\/policies" --head policies/);
    expect(write.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
  });

  it('still comments when validation fails, and posts only a comment that was written', () => {
    const after = comment.steps.slice(comment.steps.indexOf(stepRunning(comment, 'policy validate')) + 1);
    for (const step of after) expect(step.if, step.name).toMatch(/^\$\{\{ !cancelled\(\) && /);
    expect(stepRunning(comment, 'git worktree add').if).toContain("steps.build.outcome == 'success'");
    expect(stepRunning(comment, 'policy comment').if).toContain("steps.base.outcome == 'success'");
    expect(postStep.if).toContain("steps.comment.outcome == 'success'");
  });

  it("finds its comment by the marker `policy comment` writes, with the workflow's token", () => {
    expect(postStep.run).toContain(`startswith("${POLICY_COMMENT_MARKER}")`);
    expect(postStep.run).toContain('.user.login == "github-actions[bot]"');
    expect(postStep.env?.GH_TOKEN).toBe('${{ github.token }}');
  });

  it("skips the post for a fork's pull request, with a notice instead", () => {
    const own = 'github.event.pull_request.head.repo.full_name == github.repository';
    const fork = 'github.event.pull_request.head.repo.full_name != github.repository';
    expect(postStep.if).toContain(own);
    const notice = comment.steps.find((s) => s.if?.includes(fork));
    expect(notice?.run).toMatch(/^echo "::notice /);
  });

  it('gives scripts what a pull request names as variables, never as code', () => {
    const scripts = [runs(comment), runs(preview)].join('\n');
    expect(scripts).not.toMatch(/\$\{\{[^}]*(head_ref|base_ref|\.title|\.body|head\.ref|head\.label)/);
  });

  it('pins every action to a major version', () => {
    const uses = [...comment.steps, ...preview.steps].flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses.sort()).toEqual([
      'actions/checkout@v5',
      'actions/checkout@v5',
      'actions/setup-node@v5',
      'actions/setup-node@v5',
      'pulumi/actions@v7',
    ]);
  });

  it('previews both example stacks with the policy pack, on a file backend with an empty passphrase', () => {
    expect(preview.env?.PULUMI_CONFIG_PASSPHRASE).toBe('');
    const install = preview.steps.find((s) => s.uses?.startsWith('pulumi/actions@'));
    expect(install).toBeDefined();
    expect(install!.with?.command).toBeUndefined();
    const script = runs(preview);
    expect(script).toContain('npm ci');
    expect(script).toContain('PULUMI_BACKEND_URL=file://');
    for (const stack of ['example-kubernetes', 'example-aws']) {
      expect(script).toContain(`pulumi stack select --create ${stack}`);
      expect(script).toMatch(new RegExp(`pulumi preview --stack ${stack} --policy-pack policies/pack`));
    }
    expect(script).toContain('kubernetes:renderYamlToDirectory=');
    expect(script).toContain('aws:skipCredentialsValidation=true');
  });
});

describe("the post step's script, against a fake gh", () => {
  /**
   * Runs the step's script as the runner does (bash -e, no rc files), with `gh` a fake that answers the
   * comment search with `ids` (what `--jq` would print) and records every other call.
   */
  function post(ids: string): { status: number | null; stderr: string; calls: string[][]; body: string } {
    const dir = mkdtempSync(join(tmpdir(), 'shadowcast-policy-pr-'));
    const log = join(dir, 'calls.jsonl');
    const gh = join(dir, 'gh');
    writeFileSync(
      gh,
      [
        `#!${process.execPath}`,
        "const { appendFileSync, readFileSync } = require('node:fs');",
        'const args = process.argv.slice(2);',
        "if (args.includes('--paginate')) { process.stdout.write(process.env.FAKE_IDS); process.exit(0); }",
        "const body = args[args.indexOf('-F') + 1].replace(/^body=@/, '');",
        "appendFileSync(process.env.FAKE_LOG, JSON.stringify([...args, readFileSync(body, 'utf8')]) + '\\n');",
      ].join('\n'),
    );
    chmodSync(gh, 0o755);
    const body = `${POLICY_COMMENT_MARKER}\n## shadowcast: policy check\n`;
    writeFileSync(join(dir, 'policy-comment.md'), body);
    const r = spawnSync('bash', ['--noprofile', '--norc', '-e', '-c', postStep.run!], {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        RUNNER_TEMP: dir,
        REPO: 'acme/shadowcast',
        PR: '42',
        GH_TOKEN: 'fake',
        FAKE_IDS: ids,
        FAKE_LOG: log,
      },
    });
    let lines: string[] = [];
    try {
      lines = readFileSync(log, 'utf8').trim().split('\n');
    } catch {
      // No call besides the search.
    }
    const calls = lines.map((l) => JSON.parse(l) as string[]);
    return {
      status: r.status,
      stderr: r.stderr,
      calls: calls.map((c) => c.slice(0, -1)),
      body: calls[0]?.at(-1) ?? '',
    };
  }

  it('POSTs a new comment when the pull request has none', () => {
    const r = post('');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      [
        'api',
        '--method',
        'POST',
        'repos/acme/shadowcast/issues/42/comments',
        '-F',
        expect.stringMatching(/^body=@/),
        '--silent',
      ],
    ]);
    expect(r.body.split('\n')[0]).toBe(POLICY_COMMENT_MARKER);
  });

  it('PATCHes the first comment found, once, when there is one (or more)', () => {
    const r = post('1234\n5678\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      [
        'api',
        '--method',
        'PATCH',
        'repos/acme/shadowcast/issues/comments/1234',
        '-F',
        expect.stringMatching(/^body=@/),
        '--silent',
      ],
    ]);
  });

  // gh evaluates --jq itself (gojq); jq, where installed, reads this filter the same way.
  const jq = spawnSync('jq', ['--version']).status === 0;
  if (!jq && process.env.SHADOWCAST_SERVERS_REQUIRED === '1') {
    it('has jq on PATH (SHADOWCAST_SERVERS_REQUIRED=1)', () => {
      expect.fail(
        "the post step's --jq filter: SHADOWCAST_SERVERS_REQUIRED=1, but jq is not installed (apt-get install jq)",
      );
    });
  } else if (!jq)
    console.log("the post step's --jq filter: skipped: jq is not installed (apt-get install jq)");
  it.skipIf(!jq)("selects the bot's comment that starts with the marker, not a person's quoting it", () => {
    const filter = /--jq '([^']+)'/.exec(postStep.run!)?.[1];
    expect(filter).toBeDefined();
    const page = [
      { id: 1, user: { login: 'someone' }, body: `${POLICY_COMMENT_MARKER}\nquoted` },
      { id: 2, user: { login: 'github-actions[bot]' }, body: "another workflow's comment" },
      {
        id: 3,
        user: { login: 'github-actions[bot]' },
        body: `${POLICY_COMMENT_MARKER}\n## shadowcast: policy check`,
      },
    ];
    const r = spawnSync('jq', [filter!], { input: JSON.stringify(page), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('3\n');
  });
});
