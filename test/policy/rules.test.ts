// Every validation rule of policy files, one row each: the YAML in, the exact complaints out
// (file:line:col: message), from the real yaml and zod. Rules joining two fields are checked on
// the merged policy and blamed on the most specific file that set one of them.

import { describe, expect, it } from 'vitest';
import { resolvePolicies } from '../../src/policy/resolve.js';

const POOL = 'policies/pools/web.yaml';
const DEFAULTS = 'policies/defaults.yaml';
const lines = (...l: string[]) => `${l.join('\n')}\n`;

function complaints(pool: string, defaults?: string): string[] {
  const set = resolvePolicies({
    defaults: defaults === undefined ? undefined : { file: DEFAULTS, text: defaults },
    pools: [{ pool: 'web', file: POOL, text: pool }],
  });
  return set.errors.map((e) => e.message);
}

const SECTIONS = 'mode, forecast, capacity, shadow, standby, risk, migration, guardrails, schedule';

describe('one file: shape, types and bounds, each complaint at its key or value', () => {
  const cases: { rule: string; yaml: string; errors: string[] }[] = [
    {
      rule: 'unknown top-level field, with the fields there are',
      yaml: lines('pool: web'),
      errors: [`${POOL}:1:1: unknown field "pool" (fields: ${SECTIONS})`],
    },
    {
      rule: 'an unknown field is quoted on one line, whatever characters it holds',
      yaml: lines('"po\\nol": web'),
      errors: [`${POOL}:1:1: unknown field "po\\nol" (fields: ${SECTIONS})`],
    },
    {
      rule: 'an alias inside what it names is refused at the alias (it overflowed the stack)',
      yaml: lines('mode: &a [*a]'),
      errors: [`${POOL}:1:11: not valid YAML: alias *a refers to itself`],
    },
    {
      rule: "the parser's complaint stays on one line when it quotes control characters",
      yaml: '>\r\u0000\nmode: apply\n',
      errors: [`${POOL}:1:2: not valid YAML: Not a YAML token: \\r\\u0000`],
    },
    {
      rule: 'a misspelt field suggests the one it resembles',
      yaml: lines('forecast:', '  horizn: 24h'),
      errors: [`${POOL}:2:3: forecast: unknown field "horizn" (did you mean "horizon"?)`],
    },
    {
      rule: 'a duration written in ms suggests the YAML name',
      yaml: lines('capacity:', '  provisionMs: 300000'),
      errors: [`${POOL}:2:3: capacity: unknown field "provisionMs" (did you mean "provision"?)`],
    },
    {
      rule: 'snake case suggests the camel-case name',
      yaml: lines('capacity:', '  headroom_percent: 20'),
      errors: [`${POOL}:2:3: capacity: unknown field "headroom_percent" (did you mean "headroomPercent"?)`],
    },
    {
      rule: 'a section must be a mapping',
      yaml: lines('capacity: 5'),
      errors: [
        `${POOL}:1:11: capacity: 5 must be a mapping of capacity fields (unitsPerInstance, minInstances, ` +
          'maxInstances, headroomPercent, instanceType, hourlyCost, provision, launchBuffer, resources, zoneLoss)',
      ],
    },
    {
      rule: 'the file must be a mapping',
      yaml: lines('- mode: apply'),
      errors: [`${POOL}:1:1: a policy file must be a mapping of sections (${SECTIONS})`],
    },
    {
      rule: 'mode is recommend or apply',
      yaml: lines('mode: yes'),
      errors: [`${POOL}:1:7: mode: "yes" must be one of recommend, apply`],
    },
    {
      rule: 'level strictly between 0 and 1 (1 is refused)',
      yaml: lines('forecast:', '  level: 1'),
      errors: [`${POOL}:2:10: forecast.level: 1 must be a number between 0 and 1, exclusive`],
    },
    {
      rule: 'a number written as text is refused, quoted in the message',
      yaml: lines('forecast:', '  level: "0.9"'),
      errors: [`${POOL}:2:10: forecast.level: "0.9" must be a number between 0 and 1, exclusive`],
    },
    {
      rule: 'the forecast model is one of the models',
      yaml: lines('forecast: { model: arima }'),
      errors: [`${POOL}:1:20: forecast.model: "arima" must be one of auto, prophet, mstl, naive`],
    },
    {
      rule: 'a duration is text like 10m, not a bare number',
      yaml: lines('forecast:', '  horizon: 24'),
      errors: [`${POOL}:2:12: forecast.horizon: 24 must be a positive duration like 90s, 10m, 2h or 1d`],
    },
    {
      rule: 'the horizon must be positive',
      yaml: lines('forecast:', '  horizon: 0h'),
      errors: [`${POOL}:2:12: forecast.horizon: "0h" must be a positive duration like 90s, 10m, 2h or 1d`],
    },
    {
      rule: 'a duration unit must be one parseDuration knows',
      yaml: lines('migration:', '  bake: 10 minutes'),
      errors: [`${POOL}:2:9: migration.bake: "10 minutes" must be a duration like 90s, 10m, 2h or 1d`],
    },
    {
      rule: 'instance counts are whole numbers',
      yaml: lines('capacity:', '  minInstances: 2.5', '  maxInstances: 0'),
      errors: [
        `${POOL}:2:17: capacity.minInstances: 2.5 must be a whole number from 0 to 10,000`,
        `${POOL}:3:17: capacity.maxInstances: 0 must be a whole number from 1 to 10,000`,
      ],
    },
    {
      rule: 'units per instance must be positive; cost may be zero, not negative',
      yaml: lines('capacity:', '  unitsPerInstance: 0', '  hourlyCost: -1'),
      errors: [
        `${POOL}:2:21: capacity.unitsPerInstance: 0 must be a number above 0 and at most 1,000,000,000`,
        `${POOL}:3:15: capacity.hourlyCost: -1 must be a number from 0 to 10,000`,
      ],
    },
    {
      rule: 'percentages have sensible ranges',
      yaml: lines('capacity: { headroomPercent: 250 }', 'shadow: { peakPercent: 0, bufferPercent: 101 }'),
      errors: [
        `${POOL}:1:30: capacity.headroomPercent: 250 must be a number from 0 to 200`,
        `${POOL}:2:24: shadow.peakPercent: 0 must be a number above 0 and at most 200`,
        `${POOL}:2:42: shadow.bufferPercent: 101 must be a number from 0 to 100`,
      ],
    },
    {
      rule: 'an instance type is non-empty text',
      yaml: lines('capacity:', '  instanceType: "  "'),
      errors: [`${POOL}:2:17: capacity.instanceType: "  " must be a non-empty text`],
    },
    {
      rule: 'enabled is a boolean (YAML 1.2: "yes" is text)',
      yaml: lines('shadow:', '  enabled: yes'),
      errors: [`${POOL}:2:12: shadow.enabled: "yes" must be true or false`],
    },
    {
      rule: 'standby thresholds strictly between 0 and 1',
      yaml: lines('standby:', '  provision: 0', '  transition: 1'),
      errors: [
        `${POOL}:2:14: standby.provision: 0 must be a number between 0 and 1, exclusive`,
        `${POOL}:3:15: standby.transition: 1 must be a number between 0 and 1, exclusive`,
      ],
    },
    {
      rule: 'criticality names the four levels, each shift within ±0.5',
      yaml: lines('standby:', '  criticality: { critcal: 0.2, high: 0.9 }'),
      errors: [
        `${POOL}:2:18: standby.criticality: unknown field "critcal" (did you mean "critical"?)`,
        `${POOL}:2:38: standby.criticality.high: 0.9 must be a number from -0.5 to 0.5`,
      ],
    },
    {
      rule: 'stepSize is in [0.01, 1]',
      yaml: lines('migration:', '  stepSize: 1.5'),
      errors: [`${POOL}:2:13: migration.stepSize: 1.5 must be a number from 0.01 to 1`],
    },
    {
      rule: 'stepSize 0 is refused',
      yaml: lines('migration:', '  stepSize: 0'),
      errors: [`${POOL}:2:13: migration.stepSize: 0 must be a number from 0.01 to 1`],
    },
    {
      rule: 'at least one gate',
      yaml: lines('migration:', '  gates: []'),
      errors: [
        `${POOL}:2:10: migration.gates: [] must hold at least one gate: a step with no health gate cannot roll back by itself`,
      ],
    },
    {
      rule: 'a gate sets max or min, min <= max, and nothing else (a misspelt bound is not also "missing")',
      yaml: lines(
        'migration:',
        '  gates:',
        '    - metric: error_rate',
        '    - { metric: latency_p99_ms, min: 500, max: 100 }',
        '    - { metric: cpu, threshold: 0.9 }',
        '    - { max: 1 }',
      ),
      errors: [
        `${POOL}:3:7: migration.gates[0]: {metric: error_rate} must set max, min or both`,
        `${POOL}:4:38: migration.gates[1].min: 500 must be at most max`,
        `${POOL}:5:22: migration.gates[2]: unknown field "threshold" (fields: metric, max, min)`,
        `${POOL}:6:7: migration.gates[3].metric: missing, and must be a metric name like error_rate`,
      ],
    },
    {
      rule: 'counts of migrations are whole and positive; the step timeout is positive',
      yaml: lines('migration:', '  maxConcurrent: 0', '  alertPerHour: 1.5', '  stepTimeout: 0s'),
      errors: [
        `${POOL}:2:18: migration.maxConcurrent: 0 must be a whole number from 1 to 1,000`,
        `${POOL}:3:17: migration.alertPerHour: 1.5 must be a whole number from 1 to 1,000`,
        `${POOL}:4:16: migration.stepTimeout: "0s" must be a positive duration like 90s, 10m, 2h or 1d`,
      ],
    },
    {
      rule: 'guardrails: positive limits, pool names in a list',
      yaml: lines(
        'guardrails:',
        '  maxTotalInstances: 0',
        '  maxHourlyCost: 0',
        '  protectedPools: [Checkout]',
      ),
      errors: [
        `${POOL}:2:22: guardrails.maxTotalInstances: 0 must be a whole number from 1 to 100,000`,
        `${POOL}:3:18: guardrails.maxHourlyCost: 0 must be a number above 0 and at most 1,000,000,000`,
        `${POOL}:4:20: guardrails.protectedPools[0]: "Checkout" must be a pool name: lowercase letters, digits and dashes`,
      ],
    },
    {
      rule: 'instance counts have a limit, said in the message (a million instances took 2.9 GB)',
      yaml: lines(
        'capacity: { minInstances: 1000000, maxInstances: 10001 }',
        'shadow: { minSize: 20000 }',
        'guardrails: { maxTotalInstances: 1000000 }',
      ),
      errors: [
        `${POOL}:1:27: capacity.minInstances: 1000000 must be a whole number from 0 to 10,000`,
        `${POOL}:1:50: capacity.maxInstances: 10001 must be a whole number from 1 to 10,000`,
        `${POOL}:2:20: shadow.minSize: 20000 must be a whole number from 0 to 10,000`,
        `${POOL}:3:34: guardrails.maxTotalInstances: 1000000 must be a whole number from 1 to 100,000`,
      ],
    },
    {
      rule: 'durations have a limit, said in the message (a bake of 100000d never ended)',
      yaml: lines(
        'forecast:',
        '  horizon: 99999w',
        `  errorWindow: ${'9'.repeat(320)}h`,
        'standby: { dwell: 8d, release: 31d }',
        'migration: { bake: 100000d, stepTimeout: 1w1d }',
      ),
      errors: [
        `${POOL}:2:12: forecast.horizon: "99999w" is longer than the limit of 366d`,
        `${POOL}:3:16: forecast.errorWindow: "${'9'.repeat(56)}... is longer than the limit of 366d`,
        `${POOL}:4:19: standby.dwell: "8d" is longer than the limit of 7d`,
        `${POOL}:4:32: standby.release: "31d" is longer than the limit of 30d`,
        `${POOL}:5:20: migration.bake: "100000d" is longer than the limit of 7d`,
        `${POOL}:5:42: migration.stepTimeout: "1w1d" must be a positive duration like 90s, 10m, 2h or 1d`,
      ],
    },
    {
      rule: 'numbers are finite and within their limits (a huge or infinite value is refused)',
      yaml: lines(
        'forecast: { maxErrorPercent: .inf }',
        'capacity: { unitsPerInstance: 1e308, hourlyCost: 1e5 }',
        'migration:',
        '  stepSize: 0.0001',
        '  gates: [{ metric: error_rate, max: 1e308 }, { metric: up, min: -.inf }]',
      ),
      errors: [
        `${POOL}:1:30: forecast.maxErrorPercent: Infinity must be a number above 0 and at most 10,000`,
        `${POOL}:2:31: capacity.unitsPerInstance: 1e+308 must be a number above 0 and at most 1,000,000,000`,
        `${POOL}:2:50: capacity.hourlyCost: 100000 must be a number from 0 to 10,000`,
        `${POOL}:4:13: migration.stepSize: 0.0001 must be a number from 0.01 to 1`,
        `${POOL}:5:38: migration.gates[0].max: 1e+308 must be a number from -1,000,000,000,000,000 to 1,000,000,000,000,000`,
        `${POOL}:5:66: migration.gates[1].min: -Infinity must be a number from -1,000,000,000,000,000 to 1,000,000,000,000,000`,
      ],
    },
    {
      rule: 'protectedPools is a list, not one name',
      yaml: lines('guardrails:', '  protectedPools: checkout'),
      errors: [`${POOL}:2:19: guardrails.protectedPools: "checkout" must be a list of pool names`],
    },
    {
      rule: 'cron has five fields',
      yaml: lines('schedule:', "  cron: '*/15 * * *'"),
      errors: [
        `${POOL}:2:9: schedule.cron: "*/15 * * *" needs 5 fields (minute hour day-of-month month day-of-week, like "*/15 * * * *"); it has 4`,
      ],
    },
    {
      rule: 'cron values within their field',
      yaml: lines('schedule:', "  cron: '0 24 * * *'"),
      errors: [`${POOL}:2:9: schedule.cron: "0 24 * * *" hour "24" is outside 0-23`],
    },
    {
      rule: 'timezone is an IANA zone',
      yaml: lines('schedule:', '  timezone: Europe/Berln'),
      errors: [`${POOL}:2:13: schedule.timezone: "Europe/Berln" is not an IANA time zone like Europe/Berlin`],
    },
    {
      rule: 'broken YAML: the parser place, nothing else',
      yaml: lines('capacity:', '  minInstances: [', 'mode: apply'),
      errors: [
        `${POOL}:3:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      ],
    },
    {
      rule: 'a key twice is broken YAML',
      yaml: lines('capacity:', '  minInstances: 3', '  minInstances: 4'),
      errors: [`${POOL}:3:3: not valid YAML: Map keys must be unique`],
    },
    {
      rule: 'every complaint of a file, in order, not just the first',
      yaml: lines('mode: auto', 'forecast:', '  level: 2', 'capacity:', '  minInstance: 3'),
      errors: [
        `${POOL}:1:7: mode: "auto" must be one of recommend, apply`,
        `${POOL}:3:10: forecast.level: 2 must be a number between 0 and 1, exclusive`,
        `${POOL}:5:3: capacity: unknown field "minInstance" (did you mean "minInstances"?)`,
      ],
    },
  ];

  it.each(cases)('$rule', ({ yaml, errors }) => {
    expect(complaints(yaml)).toEqual(errors);
  });

  it('accepts empty files, empty sections, and every field at an edge of its range', () => {
    const edges = lines(
      '# every field commented out',
      'capacity:',
      'standby:',
      '  criticality:',
      'migration: { stepSize: 1, bake: 0s }',
      'shadow: { minSize: 0, peakPercent: 200 }',
      "schedule: { cron: '0,30 9-17/2 1-31 JAN-dec mon-FRI', timezone: America/Argentina/Buenos_Aires }",
    );
    expect(complaints(edges)).toEqual([]);
    expect(complaints('')).toEqual([]);
  });

  it('accepts every upper limit itself: the limits refuse typos, not settings', () => {
    const limits = lines(
      'forecast: { horizon: 366d, errorWindow: 52w, maxErrorPercent: 10000 }',
      'capacity:',
      '  { minInstances: 10000, maxInstances: 10000, unitsPerInstance: 1e9, hourlyCost: 10000, provision: 6d, launchBuffer: 7d }',
      'shadow: { minSize: 10000, leadTime: 7d }',
      'standby: { dwell: 7d, release: 30d }',
      'migration: { stepSize: 0.01, bake: 6d, stepTimeout: 7d, maxConcurrent: 1000, alertPerHour: 1000 }',
      'guardrails: { maxTotalInstances: 100000, maxHourlyCost: 1e9 }',
    );
    expect(complaints(limits)).toEqual([]);
  });
});

describe('rules joining two fields: on the merged policy, blamed where the fix goes', () => {
  const cases: { rule: string; defaults?: string; pool: string; errors: string[] }[] = [
    {
      rule: 'minInstances <= maxInstances, max set by the pool over min from defaults',
      defaults: lines('capacity:', '  minInstances: 10'),
      pool: lines('capacity: { maxInstances: 8 }'),
      errors: [
        `${POOL}:1:13: capacity.maxInstances: 8 must be at least capacity.minInstances (10 from ${DEFAULTS}:2)`,
      ],
    },
    {
      rule: 'minInstances above the built-in maximum',
      pool: lines('capacity:', '  minInstances: 60'),
      errors: [
        `${POOL}:2:3: capacity.minInstances: 60 must be at most capacity.maxInstances (50 from built-in default)`,
      ],
    },
    {
      rule: 'provision <= transition, provision raised by the pool',
      defaults: lines('standby:', '  transition: 0.8'),
      pool: lines('standby:', '  provision: 0.85'),
      errors: [
        `${POOL}:2:3: standby.provision: 0.85 must be at most standby.transition (0.8 from ${DEFAULTS}:2)`,
      ],
    },
    {
      rule: 'both fields in one file: blamed on the first of the rule',
      pool: lines('standby:', '  transition: 0.6', '  provision: 0.65'),
      errors: [
        `${POOL}:3:3: standby.provision: 0.65 must be at most standby.transition (0.6 from ${POOL}:2)`,
      ],
    },
    {
      rule: 'hysteresis below provision, or a standby is never released',
      pool: lines('standby: { hysteresis: 0.7 }'),
      errors: [
        `${POOL}:1:12: standby.hysteresis: 0.7 must be below standby.provision (0.7 from built-in default), or a standby would never be released`,
      ],
    },
    {
      rule: 'bake shorter than the step timeout',
      pool: lines('migration:', '  bake: 15m'),
      errors: [
        `${POOL}:2:3: migration.bake: "15m" must be shorter than migration.stepTimeout ("15m" from built-in default), or every step would time out while baking`,
      ],
    },
    {
      rule: 'provisioning shorter than the step timeout, or every scale-up times out',
      pool: lines('capacity:', '  provision: 20m'),
      errors: [
        `${POOL}:2:3: capacity.provision: "20m" must be shorter than migration.stepTimeout ("15m" from built-in default), or every scale-up would time out waiting for its instances and roll back`,
      ],
    },
    {
      rule: 'retraining needs labels to learn from',
      pool: lines('risk:', '  retrainEvery: 7d'),
      errors: [
        `${POOL}:2:3: risk.retrainEvery: "7d" needs risk.labels: retraining learns from the pool's labelled failures`,
      ],
    },
    {
      rule: 'a step timeout cut below provisioning is blamed where it was cut',
      defaults: lines('migration:', '  stepTimeout: 4m'),
      pool: lines('capacity: { minInstances: 3 }'),
      errors: [
        `${DEFAULTS}:2:3: migration.stepTimeout: "4m" must be longer than capacity.provision ("5m" from built-in default), or every scale-up would time out waiting for its instances and roll back`,
      ],
    },
    {
      rule: 'a rule broken by defaults.yaml alone is reported once, at defaults.yaml, not per pool',
      defaults: lines('migration:', '  stepTimeout: 1m'),
      pool: lines('capacity: { minInstances: 3 }'),
      errors: [
        `${DEFAULTS}:2:3: migration.stepTimeout: "1m" must be longer than migration.bake ("2m" from built-in default), or every step would time out while baking`,
      ],
    },
    {
      rule: "defaults.yaml's own complaints come first, and the pool file is still checked on its own",
      defaults: lines('forecast: { level: 0 }'),
      pool: lines('forecast: { level: 1 }'),
      errors: [
        `${DEFAULTS}:1:20: forecast.level: 0 must be a number between 0 and 1, exclusive`,
        `${POOL}:1:20: forecast.level: 1 must be a number between 0 and 1, exclusive`,
      ],
    },
  ];

  it.each(cases)('$rule', ({ defaults, pool, errors }) => {
    expect(complaints(pool, defaults)).toEqual(errors);
  });
});
