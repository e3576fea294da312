// Pulumi engine events, as `up` streams them, in the deployer's words: when the update really
// started (the engine holds the stack), which resources failed and why, and what it changed.
// The first error diagnostic is kept as the reason an update failed.

import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import type { ChangeCounts } from './driver.js';

/** What one update's engine events said. */
export interface UpdateTrace {
  /** The engine started the update (its prelude arrived): the stack's lock was ours. */
  started: boolean;
  /** Error diagnostics in order, each cleaned to one line and prefixed with its resource. */
  errors: string[];
  /** The engine's summary, when it got that far. */
  summary?: ChangeCounts;
}

export type TraceNote =
  | { kind: 'started' }
  /** A resource's operation failed: `name (type): message`. */
  | { kind: 'resource-failed'; message: string };

/** Folds one engine event into the trace; returns what the deployer should report, if anything. */
export function traceEvent(trace: UpdateTrace, event: EngineEvent): TraceNote | undefined {
  if (event.preludeEvent) {
    trace.started = true;
    return { kind: 'started' };
  }
  if (event.summaryEvent) {
    trace.summary = Object.fromEntries(
      Object.entries(event.summaryEvent.resourceChanges ?? {}).filter(
        (e): e is [string, number] => typeof e[1] === 'number',
      ),
    );
    return undefined;
  }
  const diag = event.diagnosticEvent;
  if (!diag || diag.severity !== 'error') return undefined;
  const text = cleanDiagnostic(diag.message);
  if (!text) return undefined;
  const resource = diag.urn ? resourceOf(diag.urn) : undefined;
  const isStack = resource === undefined || resource.type === 'pulumi:pulumi:Stack';
  const line = isStack ? text : `${resource.name} (${resource.type}): ${text}`;
  // The engine's closing "update failed" says nothing the diagnostics before it did not.
  if (isStack && /^update failed$/i.test(text) && trace.errors.length > 0) return undefined;
  trace.errors.push(line);
  return isStack ? undefined : { kind: 'resource-failed', message: line };
}

export function newTrace(): UpdateTrace {
  return { started: false, errors: [] };
}

/** Why the update failed, from its diagnostics: the first specific one. */
export function failureReason(trace: UpdateTrace): string | undefined {
  return trace.errors.find((e) => !/^update failed$/i.test(e)) ?? trace.errors[0];
}

/** `2 created, 1 updated` (same and read steps left out); `no changes` when nothing moved. */
export function describeChanges(changes: ChangeCounts | undefined): string {
  const words: Record<string, string> = {
    create: 'created',
    update: 'updated',
    delete: 'deleted',
    replace: 'replaced',
  };
  const parts = Object.entries(changes ?? {})
    .filter(([op, n]) => n > 0 && op !== 'same' && op !== 'read' && op !== 'refresh')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${n} ${words[op] ?? op}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}

// Color markup the engine leaves in raw messages (`<{%reset%}>`), and ANSI escapes.
const MARKUP = /<\{%[^%]*%\}>/g;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** A diagnostic as one line: no color markup, no leading `error:`, whitespace collapsed. */
export function cleanDiagnostic(message: string): string {
  return message
    .replace(MARKUP, '')
    .replace(ANSI, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim()
    .replace(/^error:\s*/i, '')
    .trim();
}

/** `urn:pulumi:<stack>::<project>::<parent$type>::<name>` → its name and own type. */
export function resourceOf(urn: string): { name: string; type: string } | undefined {
  const parts = urn.split('::');
  if (parts.length < 4 || !parts[0]!.startsWith('urn:pulumi:')) return undefined;
  const qualified = parts[2]!;
  return { type: qualified.slice(qualified.lastIndexOf('$') + 1), name: parts.slice(3).join('::') };
}
