// Where the Pulumi deployer's stacks live and what their config holds: the backend and
// passphrase every CLI command sees, the directory of the Pulumi program, and the target's
// settings copied into each stack from a stack config template (a Pulumi.<stack>.yaml).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { InputError } from '../../core/errors.js';

/** Config values by full key (`shadowcast:target`, `aws:region`): strings, or any JSON value. */
export type StackSettings = Record<string, unknown>;

/** The key the deployer owns: every update writes it, so a template's value is never copied. */
export const DESIRED_KEY = 'shadowcast:desired';

/**
 * The `config:` block of a Pulumi.<stack>.yaml, key → value, for copying into each pool's stack.
 * Secrets (`secure:` values) are refused: they are encrypted for the template's stack and mean
 * nothing in another; set them on each stack with `pulumi config set --secret` (the deployer
 * leaves keys it does not write alone).
 */
export async function readStackTemplate(file: string): Promise<StackSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(file, undefined, `cannot read the stack config template: ${(err as Error).message}`);
  }
  return parseStackTemplate(file, text);
}

export function parseStackTemplate(file: string, text: string): StackSettings {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const broken = doc.errors[0];
  if (broken) {
    const why = broken.message.split('\n')[0];
    throw new InputError(file, lines.linePos(broken.pos[0]).line, `not valid YAML: ${why}`);
  }
  const lineOf = (node: Node | null | undefined) =>
    node?.range ? lines.linePos(node.range[0]).line : undefined;
  const config = isMap(doc.contents) ? doc.contents.get('config', true) : undefined;
  if (!isMap(config)) {
    throw new InputError(
      file,
      lineOf(config as Node | undefined) ?? 1,
      'expected a config: block of key: value',
    );
  }
  for (const pair of config.items) {
    if (!isPair(pair) || !isScalar(pair.key) || typeof pair.key.value !== 'string') {
      throw new InputError(file, lineOf(pair.key as Node | undefined), 'config keys must be strings');
    }
    const secret = findSecure(pair.value as Node | null);
    if (secret) {
      throw new InputError(
        file,
        lineOf(secret),
        `${pair.key.value}: a secret (secure:) cannot be copied into other stacks; set it on each stack with pulumi config set --secret`,
      );
    }
  }
  return (doc.toJS() as { config: StackSettings }).config;
}

/** The first `secure:` mapping inside a value, if any. */
function findSecure(node: Node | null | undefined): Node | undefined {
  if (!node) return undefined;
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key) && pair.key.value === 'secure') return pair.key;
      const inner = findSecure(pair.value as Node | null);
      if (inner) return inner;
    }
  }
  const items = (node as { items?: unknown[] }).items;
  if (!isMap(node) && Array.isArray(items)) {
    for (const item of items) {
      const inner = findSecure(item as Node);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Config values as the CLI takes them: strings as they are, anything else as JSON text. */
export function configValues(settings: StackSettings): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

export interface BackendOptions {
  /** Any backend URL (file://, s3://, azblob://, gs://, https://api.pulumi.com). */
  backendUrl?: string;
  /** Default backend: file://<stateDir>/pulumi (stateDir default .shadowcast, from the working directory). */
  stateDir?: string;
  /** The environment to honour (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedBackend {
  url: string;
  /** The directory of a file:// backend, which must exist before the CLI logs into it. */
  dir?: string;
  /** Environment for every CLI command. */
  envVars: Record<string, string>;
}

/**
 * The backend every command uses: `backendUrl`, else PULUMI_BACKEND_URL from the environment,
 * else file://<stateDir>/pulumi. The passphrase of passphrase-encrypted stacks defaults to ''
 * unless PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is set.
 */
export function resolveBackend(options: BackendOptions = {}): ResolvedBackend {
  const env = options.env ?? process.env;
  // A plain path after file:// (as `pulumi login file://...` takes it), not a percent-encoded URL.
  const fallback = `file://${join(resolve(options.stateDir ?? '.shadowcast'), 'pulumi')}`;
  const url = options.backendUrl ?? env.PULUMI_BACKEND_URL ?? fallback;
  const envVars: Record<string, string> = { PULUMI_BACKEND_URL: url, PULUMI_SKIP_UPDATE_CHECK: 'true' };
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    envVars.PULUMI_CONFIG_PASSPHRASE = '';
  }
  return { url, envVars, ...(url.startsWith('file://') ? { dir: fileBackendDir(url) } : {}) };
}

/** file:///abs, file://~/dir or file://relative (query options dropped) → the directory. */
export function fileBackendDir(url: string): string {
  const path = url.slice('file://'.length).replace(/\?.*$/, '');
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return resolve(path);
}

/** The directory of the nearest Pulumi.yaml at or above `from`. */
export function findProgramDir(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'Pulumi.yaml'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** shadowcast's own Pulumi program: the Pulumi.yaml above this module (the repository root). */
export function defaultProgramDir(): string | undefined {
  return findProgramDir(dirname(fileURLToPath(import.meta.url)));
}
