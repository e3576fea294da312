// The migration timeline from real executor journals (fixtures.ts): lanes, one marker per record
// in time order, bars coloured by how each step ended, and the odd cases (no records, a record
// without a time, several migrations, pool-level records).

import { beforeAll, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/deploy/journal.js';
import { migrationTimelineSvg } from '../../src/report/timeline-svg.js';
import { pool } from '../plan/fixtures.js';
import { journalOf, planFor, forecastOf } from './fixtures.js';

let completed: JournalRecord[];
let rolledBack: JournalRecord[];

beforeAll(async () => {
  const f = forecastOf('web', { base: 400, peak: 900 });
  const p = planFor('web', f.forecast, pool(4));
  completed = await journalOf('web', p.steps, pool(4));
  rolledBack = await journalOf('web', p.steps, pool(4), {
    failGateAt: 4,
    failReason: 'p99 <950 ms> & rising',
  });
});

const labels = (svg: string) =>
  [...svg.matchAll(/<text x="8" [^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
const kinds = (svg: string) => [...svg.matchAll(/<g class="rec" data-kind="([^"]+)">/g)].map((m) => m[1]);

describe('migrationTimelineSvg', () => {
  it('draws one lane for the migration and one per step, and a marker per record in journal order', () => {
    const svg = migrationTimelineSvg(completed);
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="timeline" width="900" height="\d+" viewBox=/,
    );
    expect(labels(svg)).toEqual(['migration', '#1 provision', '#2 warm', '#3 shift', '#4 shift', '#5 shift']);
    expect(kinds(svg).sort()).toEqual(completed.map((r) => r.kind).sort());
    expect(svg.match(/class="bar"[^>]*fill="#bbf7d0"/g)).toHaveLength(5);
    expect(svg).not.toContain('#fecaca');
    expect(svg).toContain('>08:00</text>');
  });

  it('places markers left to right in time', () => {
    const svg = migrationTimelineSvg(completed);
    const intents = [
      ...svg.matchAll(/data-kind="step-intent"><title>[^<]*<\/title><circle cx="([\d.]+)"/g),
    ].map((m) => Number(m[1]));
    expect(intents).toHaveLength(5);
    for (let i = 1; i < intents.length; i++) expect(intents[i]!).toBeGreaterThanOrEqual(intents[i - 1]!);
    expect(intents[4]! - intents[0]!).toBeGreaterThan(300);
  });

  it('a failed gate: a red bar and cross on its step, a rollback lane, an alerts lane, the reason escaped', () => {
    const svg = migrationTimelineSvg(rolledBack);
    expect(labels(svg)).toEqual([
      'migration',
      '#1 provision',
      '#2 warm',
      '#3 shift',
      '#4 shift',
      'rollback',
      'alerts',
    ]);
    expect(svg.match(/class="bar"[^>]*fill="#fecaca"/g)).toHaveLength(1);
    expect(svg.match(/class="bar"[^>]*fill="#fed7aa"/g)).toHaveLength(1);
    for (const k of ['step-failed', 'rollback-intent', 'rollback-done', 'migration-rolled-back', 'alert']) {
      expect(kinds(svg), k).toContain(k);
    }
    expect(svg).toContain('p99 &lt;950 ms&gt; &amp; rising');
    expect(svg).not.toContain('<950');
    // The legend names only the kinds present.
    expect(svg).toContain('>step failed</text>');
    expect(migrationTimelineSvg(completed)).not.toContain('>step failed</text>');
  });

  it('several migrations get a lane each, named by id; pool-level records get their own lane', () => {
    const second = rolledBack.map((r) => ({ ...r, migration: r.migration && `${r.migration}-b` }));
    const takeover: JournalRecord = {
      v: 1,
      at: completed[0]!.at,
      kind: 'lock-takeover',
      pool: 'web',
      reason: 'stale lock of pid 1',
    };
    const svg = migrationTimelineSvg([takeover, ...completed, ...second]);
    const names = labels(svg);
    expect(names[0]).toBe('pool');
    expect(names.filter((n) => n!.startsWith('migration '))).toEqual([
      'migration web-20260105T0800Z',
      'migration web-20260105T0800Z-b',
    ]);
    expect(kinds(svg)).toHaveLength(1 + completed.length + second.length);
  });

  it('nothing to draw: no records, or none with a time', () => {
    expect(migrationTimelineSvg([])).toBe('');
    expect(migrationTimelineSvg([{ ...completed[0]!, at: 'yesterday' }])).toBe('');
    const svg = migrationTimelineSvg([{ ...completed[0]!, at: 'yesterday' }, ...completed.slice(1)]);
    expect(kinds(svg)).toHaveLength(completed.length - 1);
  });

  it('one record: a window around it instead of a zero-width axis', () => {
    const svg = migrationTimelineSvg(completed.slice(0, 1));
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('Infinity');
    expect(kinds(svg)).toEqual(['migration-started']);
  });

  it('names the day of the records, not of the padding before a migration that starts at midnight', () => {
    const shift = Date.parse('2023-05-01T00:00:00Z') - Date.parse(completed[0]!.at);
    const atMidnight = completed.map((r) => ({ ...r, at: new Date(Date.parse(r.at) + shift).toISOString() }));
    const svg = migrationTimelineSvg(atMidnight);
    expect(svg).toContain('>UTC 2023-05-01</text>');
    expect(svg).toContain('>00:00</text>');
    expect(svg).not.toContain('04-30');
  });

  it('is the same for the same records', () => {
    expect(migrationTimelineSvg(rolledBack)).toBe(migrationTimelineSvg(structuredClone(rolledBack)));
  });
});
