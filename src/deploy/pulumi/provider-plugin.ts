#!/usr/bin/env node
// pulumi-resource-shadowcast: shadowcast's own Pulumi provider plugin. Its resources:
//
//   shadowcast:local:Pool             a pool of the simulated fleet (local-provider.ts)
//   shadowcast:aws:NodeDrain          a node switched out for its standby, on EC2
//   shadowcast:kubernetes:NodeDrain   the same on Kubernetes (node-drain-provider.ts)
//
// The engine starts it as `pulumi-resource-shadowcast ENGINE_ADDRESS`: pluginShim writes that
// executable into the state directory, and the Pulumi target puts it on the CLI's PATH.

import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_POOL_TYPE, localProvider } from './local-provider.js';
import {
  AWS_NODE_DRAIN_TYPE,
  awsNodeDrain,
  KUBERNETES_NODE_DRAIN_TYPE,
  kubernetesNodeDrain,
} from './node-drain-provider.js';

const VERSION = '0.1.0';

type Resource = {
  check(urn: string, olds: never, news: never): Promise<unknown>;
  diff(id: string, urn: string, olds: never, news: never): Promise<unknown>;
  create(urn: string, inputs: never): Promise<unknown>;
  update(id: string, urn: string, olds: never, news: never): Promise<unknown>;
  read(id: string, urn: string, props?: never): Promise<unknown>;
  delete(id: string, urn: string, props: never): Promise<void>;
};

const RESOURCES: Record<string, Resource> = {
  [LOCAL_POOL_TYPE]: localProvider as unknown as Resource,
  [AWS_NODE_DRAIN_TYPE]: awsNodeDrain as unknown as Resource,
  [KUBERNETES_NODE_DRAIN_TYPE]: kubernetesNodeDrain as unknown as Resource,
};

/** The resource type of a URN (`urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME`). */
export function typeOfUrn(urn: string): string {
  const type = urn.split('::')[2] ?? '';
  return type.slice(type.lastIndexOf('$') + 1);
}

function resourceFor(urn: string): Resource {
  const r = RESOURCES[typeOfUrn(urn)];
  if (!r) throw new Error(`pulumi-resource-shadowcast: unknown resource type ${typeOfUrn(urn)} (${urn})`);
  return r;
}

/** The provider, as @pulumi/pulumi/provider serves it: each call goes to its resource type. */
export const shadowcastProvider = {
  version: VERSION,
  check: (urn: string, olds: never, news: never) => resourceFor(urn).check(urn, olds, news),
  diff: (id: string, urn: string, olds: never, news: never) => resourceFor(urn).diff(id, urn, olds, news),
  create: (urn: string, inputs: never) => resourceFor(urn).create(urn, inputs),
  update: (id: string, urn: string, olds: never, news: never) => resourceFor(urn).update(id, urn, olds, news),
  read: (id: string, urn: string, props?: never) => resourceFor(urn).read(id, urn, props),
  delete: (id: string, urn: string, props: never) => resourceFor(urn).delete(id, urn, props),
};

/**
 * A `pulumi-resource-shadowcast` executable in STATE/pulumi/bin, running this module with this
 * Node.js; that directory goes first on the PATH of the CLI the deployer runs. Rewritten only
 * when its content changes. Returns the directory.
 */
export async function pluginShim(stateDir: string): Promise<string> {
  const dir = join(stateDir, 'pulumi', 'bin');
  const file = join(dir, 'pulumi-resource-shadowcast');
  const self = fileURLToPath(import.meta.url);
  const text = `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(self)} "$@"\n`;
  const old = await readFile(file, 'utf8').catch(() => undefined);
  if (old !== text) {
    await mkdir(dir, { recursive: true });
    await writeFile(file, text, { mode: 0o755 });
    await chmod(file, 0o755);
  }
  return dir;
}

function quote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

// Run as the plugin: serve the engine.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { main } = await import('@pulumi/pulumi/provider/index.js');
  await main(shadowcastProvider as never, process.argv.slice(2));
}
