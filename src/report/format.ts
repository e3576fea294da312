// Text helpers shared by the run and simulation reports' HTML, the markdown and the timeline SVG:
// escaping for each target, a page's opening, and the few number, time and state formats the
// reports print. Times are UTC and come from the data, never from the clock, so the same run
// always reads the same.

import type { PoolState } from '../core/plan.js';

/** Text for HTML or SVG content and attribute values: nothing in it can open a tag or end an attribute. */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Text for one line of GitHub-flavoured markdown, table cells included: markup characters are
 * backslash-escaped, HTML is entity-escaped (GitHub would otherwise render or strip tags), and a
 * line break becomes a space so a reason cannot end a table row early.
 */
export function md(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** A number as a person reads it: integers whole, larger values to fewer decimals. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(3);
}

/** A fraction as a percentage: 0.1234 → "12.3%", 0.5 → "50%". */
export function pct(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return `${Number((v * 100).toFixed(1))}%`;
}

/** A state's standbys in words: `web-p-3 (warm), web-p-5 (switched), web-p-6 (retired)`, by node. */
export function describeStandbys(s: PoolState): string[] {
  const retired = new Set(s.retired ?? []);
  return Object.entries(s.standby)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, share]) => {
      const phase = retired.has(id)
        ? 'retired'
        : share >= 1
          ? 'switched'
          : share > 0
            ? `${pct(share)} switched`
            : 'warm';
      const zone = s.standbyZones?.[id];
      return `${id} (${phase}${zone === undefined ? '' : `, in ${zone}`})`;
    });
}

/** One pool state on one line: "primary 4, shadow 2, weights 0.9 / 0.1, standby web-p-3 (warm)". */
export function describePool(s: PoolState): string {
  const standby = describeStandbys(s);
  const weights = `weights ${num(s.weights.primary)} / ${num(s.weights.shadow)}`;
  return `primary ${s.primary}, shadow ${s.shadow}, ${weights}${standby.length ? `, standby ${standby.join(', ')}` : ''}`;
}

/**
 * A self-contained page's opening, up to and including `<body>`: `title` (escaped by the caller)
 * and the page's whole CSS inline; an empty icon, so a browser asks the server for nothing (it
 * would fetch /favicon.ico otherwise).
 */
export function pageHead(title: string, css: string): string[] {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="shadowcast">',
    '<link rel="icon" href="data:,">',
    `<title>${title}</title>`,
    `<style>${css}</style>`,
    '</head>',
    '<body>',
  ];
}

/** Where a standby is in its lifecycle: warm, serving (its node switched out), replacing (node retired), released. */
export function standbyPhase(l: {
  switchedAt?: number;
  retiredAt?: number;
  releasedAt?: number;
}): 'warm' | 'serving' | 'replacing' | 'released' {
  if (l.releasedAt !== undefined) return 'released';
  if (l.retiredAt !== undefined) return 'replacing';
  return l.switchedAt !== undefined ? 'serving' : 'warm';
}
