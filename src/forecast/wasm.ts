// Loads augurs' WebAssembly modules once, synchronously, from the installed package.
// Loading code is not data I/O: after this the forecasters are pure functions of their input.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ets from '@bsull/augurs/ets';
import * as mstl from '@bsull/augurs/mstl';
import * as prophet from '@bsull/augurs/prophet';

const require = createRequire(import.meta.url);
const augursDir = dirname(require.resolve('@bsull/augurs/prophet'));
const loaded = new Set<string>();

function load(name: string, init: (m: { module: Buffer }) => unknown): void {
  if (loaded.has(name)) return;
  init({ module: readFileSync(join(augursDir, `${name}_bg.wasm`)) });
  loaded.add(name);
}

export function prophetModule(): typeof prophet {
  load('prophet', prophet.initSync);
  return prophet;
}

export function mstlModule(): typeof mstl {
  load('mstl', mstl.initSync);
  return mstl;
}

export function etsModule(): typeof ets {
  load('ets', ets.initSync);
  return ets;
}
