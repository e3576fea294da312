// The few Pulumi Automation API calls the Pulumi deployer makes, behind one small interface, so
// the deployer's decisions (locks, crash recovery, reading state back) are tested with a fake and
// this file is all that talks to `@pulumi/pulumi/automation`. It also turns the Automation API's
// errors into the three the deployer tells apart: a held lock, a missing CLI, anything else.

import type { EngineEvent, PulumiFn, Stack } from '@pulumi/pulumi/automation/index.js';
import { DependencyError } from '../../core/errors.js';
import { describeHolders, type LockHolder, parseLockHolders } from './locks.js';

/** Plain output values by name (secrets included in plain text: the deployer reads `desired`). */
export type StackOutputs = Record<string, unknown>;

export interface PendingOperation {
  type: string;
  resource: { urn: string };
}

/** `pulumi stack export`, as much of it as the deployer reads. */
export interface StackExport {
  version: number;
  deployment: { pending_operations?: PendingOperation[]; resources?: unknown[] } & Record<string, unknown>;
}

/** Operation counts by kind (`create`, `update`, `same`, ...). */
export type ChangeCounts = Record<string, number>;

export interface DriverUpOptions {
  /** Recorded in the stack's history. */
  message: string;
  onEvent?: (event: EngineEvent) => void;
  /** Aborting interrupts the CLI (SIGINT): Pulumi cancels the update and exits. */
  signal?: AbortSignal;
}

export interface DriverRefreshOptions {
  /** `--clear-pending-creates`: drop CREATE operations an interrupted update left pending. */
  clearPendingCreates: boolean;
  message?: string;
}

/**
 * One method per CLI operation, each on a stack by name. Errors a driver throws:
 *   StackBusyError   the backend refused: another update holds the stack's lock;
 *   DependencyError  the CLI cannot be run (not installed, wrong version);
 *   anything else    the operation failed; for `up`, either the update failed or reading its
 *                    outputs afterwards did (the deployer tells these apart by reading outputs).
 */
export interface PulumiDriver {
  /** Selects the stack, creating it (empty) when it does not exist. Call before the others. */
  selectOrCreate(stack: string): Promise<void>;
  /** Sets these config keys (plain text; objects as JSON text), leaving the others as they are. */
  setConfig(stack: string, values: Record<string, string>): Promise<void>;
  /** The outputs of the last successful update; {} for a stack never updated. */
  outputs(stack: string): Promise<StackOutputs>;
  preview(stack: string, options?: { onEvent?: (event: EngineEvent) => void }): Promise<ChangeCounts>;
  /** `pulumi up --yes --skip-preview --message ...`: the outputs it leaves, and what it changed. */
  up(stack: string, options: DriverUpOptions): Promise<{ outputs: StackOutputs; changes: ChangeCounts }>;
  /** `pulumi cancel --yes`: ends the stack's current update; on a DIY backend, deletes every lock file. */
  cancel(stack: string): Promise<void>;
  refresh(stack: string, options: DriverRefreshOptions): Promise<void>;
  exportStack(stack: string): Promise<StackExport>;
}

/** The backend refused an operation because another update holds the stack. */
export class StackBusyError extends Error {
  override readonly name = 'StackBusyError';
  constructor(
    readonly stackName: string,
    /** Who holds it (DIY backends say; Pulumi Cloud does not). */
    readonly holders: LockHolder[],
  ) {
    super(`stack ${stackName} is locked by another update: ${describeHolders(holders)}`);
  }
}

/** An inline program: run in this process instead of from a Pulumi.yaml project directory. */
export interface InlineProgram {
  projectName: string;
  program: PulumiFn;
}

export interface AutomationDriverOptions {
  /**
   * The directory holding Pulumi.yaml (a local program), where Pulumi.<stack>.yaml files are
   * written. With `program`, optional: where the inline project's settings go (default: a new
   * temporary directory per stack).
   */
  workDir?: string;
  program?: InlineProgram;
  /** Environment of every CLI command, over this process's (backend URL, passphrase, ...). */
  envVars?: Record<string, string>;
  /** Where the CLI is installed (`<cliRoot>/bin/pulumi`); default: `pulumi` on PATH. */
  cliRoot?: string;
  /** PULUMI_HOME of every command (plugins, credentials, workspace selection); default ~/.pulumi. */
  pulumiHome?: string;
}

type Automation = typeof import('@pulumi/pulumi/automation/index.js');

/** The driver over `LocalWorkspace`: one workspace and `Stack` per stack name, created on first use. */
export function createAutomationDriver(options: AutomationDriverOptions): PulumiDriver {
  if (!options.workDir && !options.program) {
    throw new Error('createAutomationDriver: give workDir (a local program) or program (an inline one)');
  }
  let automation: Promise<Automation> | undefined;
  let command: Promise<import('@pulumi/pulumi/automation/index.js').PulumiCommand> | undefined;
  const stacks = new Map<string, Promise<Stack>>();

  // Loaded on first use: the CLI's other commands never pay for gRPC and the Automation API.
  const auto = () => (automation ??= import('@pulumi/pulumi/automation/index.js'));
  const cli = () =>
    (command ??= auto().then((a) =>
      a.PulumiCommand.get(options.cliRoot ? { root: options.cliRoot } : {}).catch((err: unknown) => {
        command = undefined;
        throw cliError(err, options.cliRoot);
      }),
    ));

  const stack = (name: string): Promise<Stack> => {
    const s = stacks.get(name);
    if (!s) throw new Error(`stack ${name} was not selected: call selectOrCreate first`);
    return s;
  };
  /** Runs one operation on a stack, its errors translated. */
  const on = async <T>(name: string, op: (s: Stack) => Promise<T>): Promise<T> => {
    const s = await stack(name);
    try {
      return await op(s);
    } catch (err) {
      throw translate(err, name, options.cliRoot);
    }
  };

  return {
    async selectOrCreate(name) {
      if (stacks.has(name)) return;
      const created = (async () => {
        const [a, pulumiCommand] = await Promise.all([auto(), cli()]);
        const ws = {
          pulumiCommand,
          envVars: options.envVars ?? {},
          ...(options.pulumiHome ? { pulumiHome: options.pulumiHome } : {}),
          ...(options.workDir ? { workDir: options.workDir } : {}),
        };
        try {
          return options.program
            ? await a.LocalWorkspace.createOrSelectStack(
                {
                  stackName: name,
                  projectName: options.program.projectName,
                  program: options.program.program,
                },
                ws,
              )
            : await a.LocalWorkspace.createOrSelectStack({ stackName: name, workDir: options.workDir! }, ws);
        } catch (err) {
          throw translate(err, name, options.cliRoot);
        }
      })();
      stacks.set(name, created);
      // A failed selection is not cached: the next call tries again.
      created.catch(() => stacks.delete(name));
      await created;
    },
    setConfig: (name, values) =>
      on(name, (s) =>
        s.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value }]))),
      ),
    outputs: (name) => on(name, async (s) => plain(await s.outputs())),
    preview: (name, opts) =>
      on(name, async (s) => {
        const r = await s.preview(opts?.onEvent ? { onEvent: opts.onEvent } : {});
        return counts(r.changeSummary);
      }),
    up: (name, opts) =>
      on(name, async (s) => {
        const r = await s.up({
          message: opts.message,
          ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        return { outputs: plain(r.outputs), changes: counts(r.summary.resourceChanges ?? {}) };
      }),
    cancel: (name) => on(name, (s) => s.cancel()),
    refresh: (name, opts) =>
      on(name, async (s) => {
        await s.refresh({
          clearPendingCreates: opts.clearPendingCreates,
          ...(opts.message ? { message: opts.message } : {}),
        });
      }),
    exportStack: (name) => on(name, async (s) => (await s.exportStack()) as unknown as StackExport),
  };
}

function plain(outputs: Record<string, { value: unknown }>): StackOutputs {
  return Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.value]));
}

function counts(ops: Partial<Record<string, number>>): ChangeCounts {
  return Object.fromEntries(Object.entries(ops).filter((e): e is [string, number] => e[1] !== undefined));
}

/** The CLI could not be run: one line saying what to do. */
function cliError(err: unknown, root: string | undefined): Error {
  const text = err instanceof Error ? err.message : String(err);
  if (/ENOENT/.test(text)) {
    return new DependencyError(
      root
        ? `the pulumi CLI is not at ${root}/bin/pulumi; install it there or change the deployer's cliRoot setting`
        : "the pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/iac/download-install/) or set the deployer's cliRoot setting to its installation directory",
    );
  }
  if (/EACCES/.test(text)) {
    return new DependencyError(
      `the pulumi CLI at ${root ? `${root}/bin/pulumi` : 'the first pulumi on PATH'} cannot be executed (EACCES); fix its permissions or set the deployer's cliRoot setting`,
    );
  }
  return new DependencyError(`the pulumi CLI cannot be used: ${commandSummary(text)}`);
}

/** An Automation API error → StackBusyError, DependencyError (CLI gone), or an Error saying what failed. */
export function translate(err: unknown, stack: string, root?: string): Error {
  if (err instanceof DependencyError || err instanceof StackBusyError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  const text = err instanceof Error ? err.message : String(err);
  if (name === 'ConcurrentUpdateError') return new StackBusyError(stack, parseLockHolders(text));
  // The spawn failed: the CLI was there when the driver started and is gone now.
  if (/spawn \S*pulumi ENOENT/.test(text)) return cliError(err, root);
  const out = new Error(commandSummary(text), { cause: err });
  out.name = typeof name === 'string' && name ? name : 'Error';
  return out;
}

/**
 * A CLI failure in one line: its first `error:` line other than the generic "update failed",
 * else the line saying which command failed, else the first line.
 */
export function commandSummary(text: string): string {
  // CommandError messages put the CLI's stderr after ` stderr: ` on the first line of it.
  const lines = text.split('\n').map((l) => l.trim().replace(/^stderr: /, ''));
  const errors = lines
    .filter((l) => /^error: /.test(l))
    .map((l) => l.slice('error: '.length).trim())
    .filter((l) => l.length > 0);
  const specific = errors.find((l) => !/^update failed$/i.test(l));
  if (specific ?? errors[0]) return (specific ?? errors[0])!;
  const failed = lines.find((l) => /Command failed with/.test(l));
  return failed ?? firstLine(text);
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? text
  );
}
