// One policy YAML file as data plus the place (line and column, 1-based) of every key and value,
// so each complaint and each provenance entry can point at the exact spot a reviewer must edit.
// YAML syntax errors are collected, all of them, rather than thrown; so is a file too large or
// too deeply nested to be a policy (each is one complaint, never a crash).

import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { InputError } from '../core/errors.js';

/** A policy file is a few KB; a megabyte is a generated or wrong file, not worth parsing. */
export const MAX_POLICY_BYTES = 1 << 20;

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
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_POLICY_BYTES) {
    return { file, data: undefined, errors: [tooLarge(file, bytes)], place: () => ({ line: 1, column: 1 }) };
  }
  const lines = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    // The parser recurses: deep enough nesting overflows the stack before it can report an error.
    const detail = `not valid YAML: ${yamlMessage(String((err as Error).message))}`;
    return {
      file,
      data: undefined,
      errors: [new InputError(file, 1, detail, 1)],
      place: () => ({ line: 1, column: 1 }),
    };
  }
  const at = (offset: number): Place => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const errors = doc.errors.map((e) => {
    const { line, column } = at(e.pos[0]);
    return new InputError(file, line, `not valid YAML: ${yamlMessage(e.message)}`, column);
  });
  if (errors.length === 0) errors.push(...selfReferences(file, doc, at));
  let data: unknown;
  if (errors.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 }) ?? {};
    } catch (err) {
      errors.push(
        new InputError(file, 1, `not valid YAML: ${yamlMessage(String((err as Error).message))}`, 1),
      );
    }
  }
  return { file, data, errors, place: (path, key = false) => placeOf(doc, path, key, at) };
}

/**
 * Aliases inside what they name (`mode: &a [*a]`): the data would be a cycle, which no policy
 * value is and which every later step (checks, messages) would follow for ever.
 */
function selfReferences(file: string, doc: Document, at: (offset: number) => Place): InputError[] {
  const errors: InputError[] = [];
  visit(doc, {
    Alias(_key, alias, path) {
      const target = alias.resolve(doc);
      if (!target || !path.includes(target as never)) return;
      const { line, column } = at(alias.range?.[0] ?? 0);
      errors.push(
        new InputError(file, line, `not valid YAML: alias *${alias.source} refers to itself`, column),
      );
    },
  });
  return errors;
}

/** The complaint about a file too large to be a policy, refused before parsing (or reading) it. */
export function tooLarge(file: string, bytes: number): InputError {
  const detail = `the file is ${bytes} bytes, more than the limit of ${MAX_POLICY_BYTES} bytes (1 MiB) for a policy file`;
  return new InputError(file, 1, detail, 1);
}

/**
 * The parser's message on one line; its own stack overflow (deep nesting) in words. It may quote
 * the input, control characters and all: those are escaped, and a long quote is cut.
 */
function yamlMessage(message: string): string {
  if (/call stack/i.test(message)) return 'nested too deeply for a policy file';
  const first = message.split('\n')[0]!.slice(0, 200);
  // eslint-disable-next-line no-control-regex
  return first.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
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
