// The Pulumi deployer's parts that need no CLI: lock holders and staleness (with real processes
// on this host), engine events in the deployer's words, stack config templates (the repository's
// own examples), backend resolution, and how Automation API errors are translated.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConcurrentUpdateError } from '@pulumi/pulumi/automation/index.js';
import { describe, expect, it } from 'vitest';
import { DependencyError, InputError } from '../../src/core/errors.js';
import {
  configValues,
  defaultProgramDir,
  fileBackendDir,
  findProgramDir,
  parseStackTemplate,
  readStackTemplate,
  resolveBackend,
} from '../../src/deploy/pulumi/config.js';
import { commandSummary, StackBusyError, translate } from '../../src/deploy/pulumi/driver.js';
import {
  cleanDiagnostic,
  describeChanges,
  failureReason,
  newTrace,
  resourceOf,
  traceEvent,
} from '../../src/deploy/pulumi/events.js';
import { type LockHolder, parseLockHolders, staleOnThisHost } from '../../src/deploy/pulumi/locks.js';
import { diagnostic, event, urnOf } from './pulumi-fake.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// pkg/backend/diy/lock.go's message, as a CommandError carries it (stderr, then again in err?).
const DIY_CONFLICT = [
  'code: -2',
  ' stdout: ',
  ' stderr: Command failed with exit code 255: pulumi up --yes --skip-preview --stack web',
  'error: the stack is currently locked by 2 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.',
  '  file:///state/.pulumi/locks/organization/shadowcast/web/1b2c.json: created by runner@runner-a (pid 77) at 2026-11-23T12:00:00Z',
  '  file:///state/.pulumi/locks/organization/shadowcast/web/9f8e.json: created by ci@corp@runner-b (pid 4242) at 2026-11-23T12:01:00Z',
  ' err?: Error: Command failed with exit code 255: pulumi up',
  'error: the stack is currently locked by 2 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.',
  '  file:///state/.pulumi/locks/organization/shadowcast/web/1b2c.json: created by runner@runner-a (pid 77) at 2026-11-23T12:00:00Z',
  '  file:///state/.pulumi/locks/organization/shadowcast/web/9f8e.json: created by ci@corp@runner-b (pid 4242) at 2026-11-23T12:01:00Z',
].join('\n');
const A: LockHolder = {
  lock: 'file:///state/.pulumi/locks/organization/shadowcast/web/1b2c.json',
  user: 'runner',
  host: 'runner-a',
  pid: 77,
  since: '2026-11-23T12:00:00Z',
};
const B: LockHolder = {
  lock: 'file:///state/.pulumi/locks/organization/shadowcast/web/9f8e.json',
  user: 'ci@corp',
  host: 'runner-b',
  pid: 4242,
  since: '2026-11-23T12:01:00Z',
};

describe('lock holders', () => {
  it.each([
    ['a DIY conflict, each lock once', DIY_CONFLICT, [A, B]],
    [
      'a Pulumi Cloud conflict, which names no holder',
      'code: -2\n stderr: error: [409] Conflict: Another update is currently in progress.\n',
      [],
    ],
    ['an unrelated error', 'error: update failed', []],
  ])('are parsed from %s', (_what, message, holders) => {
    expect(parseLockHolders(message)).toEqual(holders);
  });

  it.each([
    ['this host, process gone', { host: 'here', pid: 77 }, new Set<number>(), true],
    ['this host, process running', { host: 'here', pid: 77 }, new Set([77]), false],
    ['another host, process gone', { host: 'there', pid: 77 }, new Set<number>(), false],
    ['this host, no usable pid', { host: 'here', pid: 0 }, new Set<number>(), false],
  ])('are stale when %s: %s', async (_what, holder, running, stale) => {
    const check = staleOnThisHost({ hostname: 'here', running: async (pid) => running.has(pid) });
    expect(await check({ ...A, ...holder })).toBe(stale);
  });

  describe.skipIf(process.platform !== 'linux')('on this host (real processes, /proc)', () => {
    const check = staleOnThisHost();
    const holder = (pid: number): LockHolder => ({ ...A, host: hostname(), pid });

    it('a pid that has exited is stale', async () => {
      const child = spawn('true');
      await once(child, 'exit');
      expect(await check(holder(child.pid!))).toBe(true);
    });

    it('a running pulumi process is not; a pid reused by another program is', async () => {
      // `sh -c '...' pulumi`: $0 is "pulumi", so the shell's command line names it.
      const cli = spawn('sh', ['-c', 'sleep 30; :', 'pulumi']);
      const other = spawn('sh', ['-c', 'sleep 30; :', 'other']);
      try {
        expect(await check(holder(cli.pid!))).toBe(false);
        expect(await check(holder(other.pid!))).toBe(true);
        expect(await check({ ...holder(cli.pid!), host: `not-${hostname()}` })).toBe(false);
      } finally {
        cli.kill();
        other.kill();
      }
    });
  });
});

describe('engine events', () => {
  const STACK = 'urn:pulumi:web::shadowcast::pulumi:pulumi:Stack::shadowcast-web';
  const GROUP = urnOf('web', 'shadowcast:aws:ShadowPool$aws:autoscaling/group:Group', 'web-primary');

  it('fold into a trace: started, resource failures, the reason, the summary', () => {
    const trace = newTrace();
    const notes = [
      event({ preludeEvent: { config: {} } }),
      event({ diagnosticEvent: { message: 'creating...', color: 'raw', severity: 'info', urn: GROUP } }),
      diagnostic(
        '<{%fg 1%}>error: <{%reset%}>creating Auto Scaling Group: ValidationError:\n  bad AMI\n',
        GROUP,
      ),
      diagnostic('update failed', STACK),
      event({
        summaryEvent: {
          maybeCorrupt: false,
          durationSeconds: 3,
          resourceChanges: { create: 1, same: 4 },
          policyPacks: {},
        },
      }),
    ].map((e) => traceEvent(trace, e));
    expect(notes).toEqual([
      { kind: 'started' },
      undefined,
      {
        kind: 'resource-failed',
        message:
          'web-primary (aws:autoscaling/group:Group): creating Auto Scaling Group: ValidationError: bad AMI',
      },
      undefined,
      undefined,
    ]);
    expect(trace).toEqual({
      started: true,
      errors: [
        'web-primary (aws:autoscaling/group:Group): creating Auto Scaling Group: ValidationError: bad AMI',
      ],
      summary: { create: 1, same: 4 },
    });
    expect(failureReason(trace)).toBe(
      'web-primary (aws:autoscaling/group:Group): creating Auto Scaling Group: ValidationError: bad AMI',
    );
  });

  it('give a program error on the stack as the reason', () => {
    const trace = newTrace();
    traceEvent(trace, diagnostic('update failed', STACK));
    traceEvent(
      trace,
      diagnostic('error: shadowcast:desired.pools.web.weights: primary 0.6 + shadow 0.3 = 0.9', STACK),
    );
    expect(failureReason(trace)).toBe('shadowcast:desired.pools.web.weights: primary 0.6 + shadow 0.3 = 0.9');
    expect(failureReason(newTrace())).toBeUndefined();
  });

  it.each([
    ['<{%reset%}>error: <{%bold%}>boom<{%reset%}>\n', 'boom'],
    ['\u001b[31merror: \u001b[0mboom', 'boom'],
    ['  first\n   second  \n', 'first second'],
    ['error:', ''],
  ])('are cleaned to one line: %j → %j', (raw, clean) => {
    expect(cleanDiagnostic(raw)).toBe(clean);
  });

  it.each([
    [
      'urn:pulumi:web::shadowcast::pulumi:pulumi:Stack$shadowcast:aws:ShadowPool$aws:autoscaling/group:Group::web-primary',
      { type: 'aws:autoscaling/group:Group', name: 'web-primary' },
    ],
    [
      'urn:pulumi:web::shadowcast::pulumi:pulumi:Stack::shadowcast-web',
      { type: 'pulumi:pulumi:Stack', name: 'shadowcast-web' },
    ],
    ['not-an-urn', undefined],
  ])('name their resource: %s', (urn, expected) => {
    expect(resourceOf(urn)).toEqual(expected);
  });

  it.each([
    [{ create: 2, update: 1, same: 5 }, '2 created, 1 updated'],
    [{ same: 5, read: 1 }, 'no changes'],
    [undefined, 'no changes'],
    [{ 'create-replacement': 1, delete: 1 }, '1 create-replacement, 1 deleted'],
  ])('summarize the changes: %j → %s', (changes, text) => {
    expect(describeChanges(changes)).toBe(text);
  });
});

describe('stack config templates', () => {
  it.each([
    [
      'Pulumi.example-aws.yaml',
      ['aws:region', 'shadowcast:target', 'shadowcast:desired', 'shadowcast:nodes', 'shadowcast:aws'],
      { 'aws:region': 'eu-west-1', 'shadowcast:target': 'aws' },
    ],
    [
      'Pulumi.example-kubernetes.yaml',
      [
        'kubernetes:context',
        'shadowcast:target',
        'shadowcast:desired',
        'shadowcast:nodes',
        'shadowcast:kubernetes',
      ],
      { 'kubernetes:context': 'kind-shadowcast', 'shadowcast:target': 'kubernetes' },
    ],
  ])('read %s key by key', async (file, keys, some) => {
    const settings = await readStackTemplate(join(ROOT, file));
    expect(Object.keys(settings)).toEqual(keys);
    expect(settings).toMatchObject(some);
    expect(settings['shadowcast:nodes']).toBeTypeOf('object');
  });

  it.each([
    [
      'config:\n  aws:region: eu-west-1\n  db:password:\n    secure: AAABAJk=\n',
      4,
      'db:password: a secret (secure:)',
    ],
    [
      'config:\n  app:settings:\n    user: me\n    tokens:\n      - secure: AAABAJk=\n',
      5,
      'app:settings: a secret (secure:)',
    ],
    ['name: x\n', 1, 'expected a config: block of key: value'],
    ['config: [1, 2]\n', 1, 'expected a config: block of key: value'],
    ['config:\n  a: 1\n  a: 2\n', 3, 'not valid YAML'],
  ])('refuse %j at line %i', (text, line, message) => {
    let err: unknown;
    try {
      parseStackTemplate('Pulumi.t.yaml', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ file: 'Pulumi.t.yaml', line });
    expect((err as InputError).detail).toContain(message);
  });

  it('that cannot be read are an InputError naming the file', async () => {
    await expect(readStackTemplate('/nonexistent/Pulumi.x.yaml')).rejects.toThrow(
      /^\/nonexistent\/Pulumi\.x\.yaml: cannot read the stack config template: ENOENT/,
    );
  });

  it('become CLI config values: strings as they are, the rest as JSON', () => {
    expect(configValues({ a: 'x', b: 2, c: { d: [1, true] }, e: null, f: undefined })).toEqual({
      a: 'x',
      b: '2',
      c: '{"d":[1,true]}',
      e: 'null',
    });
  });
});

describe('the backend', () => {
  const cwd = process.cwd();
  it.each([
    [
      'defaults to a file backend under .shadowcast, passphrase empty',
      {},
      {},
      `file://${join(cwd, '.shadowcast', 'pulumi')}`,
      { PULUMI_CONFIG_PASSPHRASE: '' },
    ],
    [
      'under stateDir',
      { stateDir: 'var/state' },
      {},
      `file://${join(cwd, 'var/state/pulumi')}`,
      { PULUMI_CONFIG_PASSPHRASE: '' },
    ],
    [
      'from PULUMI_BACKEND_URL, passphrase as set',
      {},
      { PULUMI_BACKEND_URL: 's3://bucket?region=eu-west-1', PULUMI_CONFIG_PASSPHRASE: 'p' },
      's3://bucket?region=eu-west-1',
      {},
    ],
    [
      'from backendUrl over the environment, passphrase file as set',
      { backendUrl: 'https://api.pulumi.com' },
      { PULUMI_BACKEND_URL: 'file:///elsewhere', PULUMI_CONFIG_PASSPHRASE_FILE: '/run/secrets/p' },
      'https://api.pulumi.com',
      {},
    ],
  ])('%s', (_what, options, env, url, extra) => {
    const backend = resolveBackend({ ...options, env });
    expect(backend.url).toBe(url);
    expect(backend.envVars).toEqual({ PULUMI_BACKEND_URL: url, PULUMI_SKIP_UPDATE_CHECK: 'true', ...extra });
    expect(backend.dir).toBe(url.startsWith('file://') ? fileBackendDir(url) : undefined);
  });

  it.each([
    ['file:///var/lib/shadowcast/pulumi', '/var/lib/shadowcast/pulumi'],
    ['file://~/.pulumi-state', join(homedir(), '.pulumi-state')],
    ['file://state?no_tmp_dir=true', resolve('state')],
  ])('file backend %s is the directory %s', (url, dir) => {
    expect(fileBackendDir(url)).toBe(dir);
  });

  it("is found beside shadowcast's own program", () => {
    expect(defaultProgramDir()).toBe(resolve(ROOT));
    expect(findProgramDir(join(ROOT, 'test', 'deploy'))).toBe(resolve(ROOT));
    expect(findProgramDir('/')).toBeUndefined();
  });
});

describe('Automation API errors', () => {
  it('a held lock becomes StackBusyError with its holders', () => {
    // The SDK builds these from a CommandResult; its toString is the message.
    const err = new ConcurrentUpdateError({ toString: () => DIY_CONFLICT } as never);
    const out = translate(err, 'web');
    expect(out).toBeInstanceOf(StackBusyError);
    expect(out).toMatchObject({ stackName: 'web', holders: [A, B] });
    expect(out.message).toBe(
      'stack web is locked by another update: runner@runner-a (pid 77) since 2026-11-23T12:00:00Z; ci@corp@runner-b (pid 4242) since 2026-11-23T12:01:00Z',
    );
  });

  it.each([
    [
      'spawn ENOENT: the CLI vanished',
      'code: -2\n stderr: Command failed with ENOENT: pulumi up\nspawn pulumi ENOENT\n',
      DependencyError,
      /^the pulumi CLI is not on PATH; /,
    ],
    [
      'anything else: its error line',
      'code: -2\n stdout: \n stderr: Command failed with exit code 255: pulumi refresh\nerror: update failed\nerror: refreshing urn:x: AccessDenied\n',
      Error,
      /^refreshing urn:x: AccessDenied$/,
    ],
  ])('%s', (_what, message, type, text) => {
    const out = translate(new Error(message), 'web');
    expect(out).toBeInstanceOf(type);
    expect(out.message).toMatch(text);
  });

  it.each([
    [
      'code: 255\n stderr: Command failed with exit code 255: pulumi up\nerror: update failed\n',
      'update failed',
    ],
    ['stderr: error: update failed\nerror: preview failed: boom\n', 'preview failed: boom'],
    [
      'code: -2\n stdout: \n stderr: Command failed with exit code 1: pulumi stack output',
      'Command failed with exit code 1: pulumi stack output',
    ],
    ['\n\nsomething odd\nmore', 'something odd'],
  ])('a CLI failure in one line: %j → %j', (text, line) => {
    expect(commandSummary(text)).toBe(line);
  });
});
