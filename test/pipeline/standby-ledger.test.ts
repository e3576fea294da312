// The standby ledger: each standby's provisioned / switched / retired / released times, read from
// the states a run's migration applied, across runs; a rolled-back switch says so; released
// standbys beyond the newest few are dropped; the file round-trips and a broken one starts afresh.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PoolState } from '../../src/core/plan.js';
import {
  advanceLedger,
  appliedStates,
  KEEP_RELEASED,
  ledgerFile,
  readLedger,
  writeLedger,
} from '../../src/pipeline/standby-ledger.js';

const MIN = 60_000;
const s = (standby: Record<string, number>, retired?: string[]): PoolState => ({
  primary: 4,
  shadow: 0,
  standby,
  weights: { primary: 1, shadow: 0 },
  ...(retired ? { retired } : {}),
});

describe('advanceLedger', () => {
  it('follows one standby from provision to release, across runs, with its zone', () => {
    const run1 = advanceLedger([], [{ at: 10 * MIN, state: s({ 'p-3': 0 }) }], { 'p-3': 'zone-b' });
    expect(run1).toEqual([{ node: 'p-3', zone: 'zone-b', provisionedAt: 10 * MIN }]);
    // A later run sees it again: nothing changes.
    expect(advanceLedger(run1, [{ at: 70 * MIN, state: s({ 'p-3': 0 }) }])).toEqual(run1);
    const run3 = advanceLedger(run1, [{ at: 130 * MIN, state: s({ 'p-3': 1 }) }]);
    const run4 = advanceLedger(run3, [
      { at: 190 * MIN, state: s({ 'p-3': 1 }, ['p-3']) },
      { at: 190 * MIN + 30_000, state: s({ 'p-3': 1 }, ['p-3']) },
      { at: 197 * MIN, state: s({}) },
    ]);
    expect(run4).toEqual([
      {
        node: 'p-3',
        zone: 'zone-b',
        provisionedAt: 10 * MIN,
        switchedAt: 130 * MIN,
        retiredAt: 190 * MIN,
        releasedAt: 197 * MIN,
      },
    ]);
    // Provisioned again later for the same node id: a new life beside the old one.
    const again = advanceLedger(run4, [{ at: 300 * MIN, state: s({ 'p-3': 0 }) }]);
    expect(again.map((l) => [l.node, l.provisionedAt, l.releasedAt])).toEqual([
      ['p-3', 10 * MIN, 197 * MIN],
      ['p-3', 300 * MIN, undefined],
    ]);
  });

  it('keeps the newest time the standby’s data was synced to', () => {
    const sync = (t: number): PoolState => ({ ...s({ a: 0 }), standbySync: { a: t } });
    const l = advanceLedger(
      [],
      [
        { at: 1 * MIN, state: sync(1 * MIN) },
        { at: 16 * MIN, state: sync(16 * MIN) },
        { at: 17 * MIN, state: sync(1 * MIN) }, // a rollback's state that says older: the data stays newer
      ],
    );
    expect(l[0]).toEqual({ node: 'a', provisionedAt: MIN, syncedAt: 16 * MIN });
  });

  it('a rolled-back switch clears the switch time and says when it was rolled back', () => {
    const l = advanceLedger(
      [],
      [
        { at: 1, state: s({ a: 0 }) },
        { at: 2, state: s({ a: 1 }) },
        { at: 3, state: s({ a: 0 }) },
      ],
    );
    expect(l).toEqual([{ node: 'a', provisionedAt: 1, switchRolledBackAt: 3 }]);
  });

  it(`keeps every live standby and the newest ${KEEP_RELEASED} released ones`, () => {
    let l = advanceLedger([], [{ at: 0, state: s({ live: 0 }) }]);
    for (let i = 0; i < KEEP_RELEASED + 5; i++) {
      l = advanceLedger(l, [
        { at: 10 * i + 1, state: s({ live: 0, [`n${i}`]: 0 }) },
        { at: 10 * i + 2, state: s({ live: 0 }) },
      ]);
    }
    expect(l.filter((x) => x.releasedAt === undefined).map((x) => x.node)).toEqual(['live']);
    const released = l.filter((x) => x.releasedAt !== undefined).map((x) => x.node);
    expect(released).toHaveLength(KEEP_RELEASED);
    expect(released).not.toContain('n0');
    expect(released).toContain(`n${KEEP_RELEASED + 4}`);
  });
});

describe('appliedStates and the ledger file', () => {
  it('reads the states from step-applied and rollback-done records, on their clock', () => {
    const at = (m: number) => new Date(m * MIN).toISOString();
    const states = appliedStates([
      { v: 1, at: at(1), kind: 'migration-started', pool: 'web' },
      { v: 1, at: at(2), kind: 'step-applied', pool: 'web', state: s({ a: 0 }) },
      { v: 1, at: at(3), kind: 'gate-passed', pool: 'web' },
      { v: 1, at: at(4), kind: 'rollback-done', pool: 'web', state: s({}) },
    ]);
    expect(states).toEqual([
      { at: 2 * MIN, state: s({ a: 0 }) },
      { at: 4 * MIN, state: s({}) },
    ]);
  });

  it('round-trips, and a file that is not a ledger starts afresh', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-ledger-'));
    expect(readLedger(dir, 'web')).toEqual([]);
    const l = advanceLedger([], [{ at: 5, state: s({ a: 1 }) }]);
    writeLedger(dir, 'web', l);
    expect(readLedger(dir, 'web')).toEqual(l);
    writeFileSync(ledgerFile(dir, 'web'), '{"standbys": [{"node": 3}, {"node": "b", "provisionedAt": 9}]}');
    expect(readLedger(dir, 'web')).toEqual([{ node: 'b', provisionedAt: 9 }]);
    writeFileSync(ledgerFile(dir, 'web'), 'not json');
    expect(readLedger(dir, 'web')).toEqual([]);
  });
});
