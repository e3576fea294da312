// A fake Pulumi driver for the deployer's unit tests: no CLI, no backend. It keeps each stack's
// config and outputs the way the real program would (outputs = the `shadowcast:desired` an update
// applied), records every call, and plays scripted `up` outcomes: applied, failed with a
// diagnostic, applied then threw, locked.

import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import type { PoolState } from '../../src/core/plan.js';
import {
  type ChangeCounts,
  type DriverRefreshOptions,
  type DriverUpOptions,
  type PendingOperation,
  type PulumiDriver,
  StackBusyError,
  type StackExport,
  type StackOutputs,
} from '../../src/deploy/pulumi/driver.js';
import type { LockHolder } from '../../src/deploy/pulumi/locks.js';

export type Call =
  | ['selectOrCreate', string]
  | ['setConfig', string, Record<string, string>]
  | ['outputs', string]
  | ['preview', string]
  | ['up', string, string]
  | ['cancel', string]
  | ['refresh', string, DriverRefreshOptions]
  | ['exportStack', string];

type UpResult = { outputs: StackOutputs; changes: ChangeCounts };
/** One scripted `up`: what the engine streams and how the call ends. */
export type Script = (stack: string, options: DriverUpOptions, driver: FakeDriver) => Promise<UpResult>;

let sequence = 0;
export function event(fields: Omit<EngineEvent, 'sequence' | 'timestamp'>): EngineEvent {
  return { sequence: sequence++, timestamp: 0, ...fields };
}

export const stackUrn = (stack: string) =>
  `urn:pulumi:${stack}::shadowcast::pulumi:pulumi:Stack::shadowcast-${stack}`;
/** A resource's URN, its type under the stack. */
export const urnOf = (stack: string, type: string, name: string) =>
  `urn:pulumi:${stack}::shadowcast::pulumi:pulumi:Stack$${type}::${name}`;

export function diagnostic(message: string, urn?: string): EngineEvent {
  return event({
    diagnosticEvent: { message, color: 'raw', severity: 'error', ...(urn ? { urn } : {}) },
  });
}

/** The update applies: outputs become the config's desired state. */
export const applies =
  (changes: ChangeCounts = { update: 1, same: 3 }): Script =>
  async (stack, options, driver) => {
    options.onEvent?.(event({ preludeEvent: { config: {} } }));
    driver.outputsOf.set(stack, driver.declared(stack));
    options.onEvent?.(
      event({
        summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: changes, policyPacks: {} },
      }),
    );
    return { outputs: driver.declared(stack), changes };
  };

/** The update fails at one resource: its diagnostic, then the engine's "update failed". */
export const fails =
  (message: string, resource = 'web-primary'): Script =>
  async (stack, options) => {
    options.onEvent?.(event({ preludeEvent: { config: {} } }));
    options.onEvent?.(
      diagnostic(
        `<{%reset%}>error: ${message}\n<{%reset%}>`,
        urnOf(stack, 'aws:autoscaling/group:Group', resource),
      ),
    );
    options.onEvent?.(diagnostic('update failed', stackUrn(stack)));
    throw new Error(
      `code: 255\n stdout: \n stderr: Command failed with exit code 255: pulumi up\nerror: update failed\n`,
    );
  };

/** The update applies, then `up` throws reading the outputs (docs/design.md, Pulumi 1). */
export const appliesThenThrows =
  (message = 'code: -2\n stderr: error: could not read stack outputs: connection reset'): Script =>
  async (stack, options, driver) => {
    await applies()(stack, options, driver);
    throw new Error(message);
  };

/** `up` throws before the engine starts, with nothing applied. */
export const throwsEarly =
  (message: string): Script =>
  async () => {
    throw new Error(message);
  };

/** Another update holds the stack. */
export const locked =
  (holders: LockHolder[]): Script =>
  async (stack) => {
    throw new StackBusyError(stack, holders);
  };

export class FakeDriver implements PulumiDriver {
  readonly calls: Call[] = [];
  readonly config = new Map<string, Record<string, string>>();
  readonly outputsOf = new Map<string, StackOutputs>();
  readonly pending = new Map<string, PendingOperation[]>();
  /** Scripted `up` outcomes, in order; once empty, every update applies. */
  readonly ups: Script[] = [];
  /** Scripted failures of the other calls, by method, in order. */
  readonly failures: Partial<Record<Call[0], Error[]>> = {};

  constructor(initial: Record<string, PoolState> = {}) {
    for (const [pool, state] of Object.entries(initial)) {
      this.outputsOf.set(pool, { desired: { pools: { [pool]: state } }, target: 'aws', pools: {} });
    }
  }

  /** What the program would export from the stack's current config. */
  declared(stack: string): StackOutputs {
    const desired = this.config.get(stack)?.['shadowcast:desired'];
    return { desired: desired === undefined ? undefined : JSON.parse(desired), target: 'aws', pools: {} };
  }

  /** Methods called, without arguments. */
  ops(): string[] {
    return this.calls.map((c) => c[0]);
  }

  private fail(op: Call[0]): void {
    const err = this.failures[op]?.shift();
    if (err) throw err;
  }

  async selectOrCreate(stack: string): Promise<void> {
    this.calls.push(['selectOrCreate', stack]);
    this.fail('selectOrCreate');
  }
  async setConfig(stack: string, values: Record<string, string>): Promise<void> {
    this.calls.push(['setConfig', stack, values]);
    this.fail('setConfig');
    this.config.set(stack, { ...this.config.get(stack), ...values });
  }
  async outputs(stack: string): Promise<StackOutputs> {
    this.calls.push(['outputs', stack]);
    this.fail('outputs');
    return structuredClone(this.outputsOf.get(stack) ?? {});
  }
  async preview(stack: string): Promise<ChangeCounts> {
    this.calls.push(['preview', stack]);
    this.fail('preview');
    return { update: 1 };
  }
  async up(stack: string, options: DriverUpOptions): Promise<UpResult> {
    this.calls.push(['up', stack, options.message]);
    return (this.ups.shift() ?? applies())(stack, options, this);
  }
  async cancel(stack: string): Promise<void> {
    this.calls.push(['cancel', stack]);
    this.fail('cancel');
  }
  async refresh(stack: string, options: DriverRefreshOptions): Promise<void> {
    this.calls.push(['refresh', stack, options]);
    this.fail('refresh');
    if (options.clearPendingCreates) this.pending.delete(stack);
  }
  async exportStack(stack: string): Promise<StackExport> {
    this.calls.push(['exportStack', stack]);
    this.fail('exportStack');
    return { version: 3, deployment: { resources: [], pending_operations: this.pending.get(stack) ?? [] } };
  }
}
