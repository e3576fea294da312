// One policy YAML file as data plus the place (line and column, 1-based) of every key and value,
// so each complaint and each provenance entry can point at the exact spot a reviewer must edit.
// YAML syntax errors are collected, all of them, rather than thrown.

import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { InputError } from '../core/errors.js';

export interface Place {
  line: number;
  column: number;
}

export interface PolicyDocument {
  file: string;
  /** The file as plain data; undefined when the YAML is broken. An empty file is `{}`. */
  data: unknown;
  /** YAML syntax errors (the data is not checked further when there are any). */
  errors: InputError[];
  /** Where the value at `path` is, or its key with `key`; the nearest ancestor when it is absent. */
  place(path: readonly PropertyKey[], key?: boolean): Place;
}

export function readPolicyDocument(file: string, text: string): PolicyDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Place => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const errors = doc.errors.map((e) => {
    const { line, column } = at(e.pos[0]);
    return new InputError(file, line, `not valid YAML: ${e.message.split('\n')[0]}`, column);
  });
  let data: unknown;
  if (errors.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 }) ?? {};
    } catch (err) {
      errors.push(new InputError(file, 1, `not valid YAML: ${(err as Error).message}`, 1));
    }
  }
  return { file, data, errors, place: (path, key = false) => placeOf(doc, path, key, at) };
}

function placeOf(
  doc: Document,
  path: readonly PropertyKey[],
  key: boolean,
  at: (offset: number) => Place,
): Place {
  const start = (node: unknown) => (node as Node | null)?.range?.[0];
  let node: unknown = doc.contents;
  let best = start(node) ?? 0;
  for (const [i, step] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(step));
      if (!pair) break;
      best = start(pair.key) ?? best;
      if (key && i === path.length - 1) return at(best);
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
    } else {
      break;
    }
    // An empty value (`capacity:` and nothing under it) has no place of its own: keep its key's.
    const here = start(node);
    if (here === undefined || (isScalar(node) && node.value === null)) break;
    best = here;
  }
  return at(best);
}
