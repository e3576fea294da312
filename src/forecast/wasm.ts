// Loads augurs' WebAssembly modules once, synchronously, from the installed package, and guards
// every call into them: augurs throws plain strings, and a Rust panic prints itself to
// console.error and then traps. Callers get an Error with a one-line message instead, always.
// Loading code is not data I/O: after this the forecasters are pure functions of their input.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ets from '@bsull/augurs/ets';
import * as mstl from '@bsull/augurs/mstl';

const require = createRequire(import.meta.url);
const augursDir = dirname(require.resolve('@bsull/augurs/mstl'));
const loaded = new Set<string>();

function load(name: string, init: (m: { module: Buffer }) => unknown): void {
  if (loaded.has(name)) return;
  init({ module: readFileSync(join(augursDir, `${name}_bg.wasm`)) });
  loaded.add(name);
}

export function mstlModule(): typeof mstl {
  load('mstl', mstl.initSync);
  return mstl;
}

export function etsModule(): typeof ets {
  load('ets', ets.initSync);
  return ets;
}

/** A thrown value as one line of text: whatever was thrown (an Error, a string, undefined). */
export function failureMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  const line = text.trim().split('\n')[0]!.trim();
  return line === '' || line === 'undefined' ? 'failed without saying why' : line;
}

/** What the panic hook printed ("panicked at FILE:LINE:COL:\nMESSAGE ..."): its MESSAGE. */
function panicMessage(printed: readonly string[]): string | undefined {
  return /panicked at [^\n]*\n([^\n]+)/.exec(printed.join('\n'))?.[1]?.trim();
}

function wasmFailure(err: unknown, printed: readonly string[]): string {
  const panic = panicMessage(printed);
  if (panic !== undefined) return `the model library stopped on an internal error (${panic})`;
  // A trap (WebAssembly.RuntimeError: unreachable, out of bounds) is the library's fault, not the data's.
  if (err instanceof Error && err.name === 'RuntimeError')
    return `the model library stopped on an internal error (${failureMessage(err)})`;
  return failureMessage(err);
}

/**
 * Runs `call` (into augurs) and turns whatever it throws into an Error "WHAT: why", one line.
 * What the library prints to console.error meanwhile is held back: on failure it becomes the
 * message (a panic's text), on success it is passed on, since it is not ours to hide.
 */
export function guardWasm<T>(what: string, call: () => T): T {
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
  let failed = false;
  try {
    return call();
  } catch (err) {
    failed = true;
    throw new Error(`${what}: ${wasmFailure(err, printed)}`, { cause: err });
  } finally {
    console.error = original;
    if (!failed) for (const line of printed) original(line);
  }
}
