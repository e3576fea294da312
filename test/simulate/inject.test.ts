import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/simulate/inject.js';

const T0 = Date.UTC(2023, 3, 15);
const H = 3_600_000;

describe('--inject specs', () => {
  it.each([
    ['crash@+2d3h', { kind: 'crash', at: T0 + 51 * H }],
    ['crash@+90m:storefront-p-3', { kind: 'crash', at: T0 + 1.5 * H, instance: 'storefront-p-3' }],
    [
      'slow-provisioning@+1d/6h:4',
      { kind: 'slow-provisioning', at: T0 + 24 * H, until: T0 + 30 * H, factor: 4 },
    ],
    [
      'slow-provisioning@+1d/6h',
      { kind: 'slow-provisioning', at: T0 + 24 * H, until: T0 + 30 * H, factor: 3 },
    ],
    ['failed-step@+4d:12', { kind: 'failed-step', at: T0 + 96 * H, count: 12 }],
    ['failed-step@2023-04-20T10:00', { kind: 'failed-step', at: Date.UTC(2023, 3, 20, 10), count: 1 }],
    ['failed-step@2023-04-20T10:00:2', { kind: 'failed-step', at: Date.UTC(2023, 3, 20, 10), count: 2 }],
    [
      'metrics-outage@2023-04-20 09:30/2h',
      { kind: 'metrics-outage', at: Date.UTC(2023, 3, 20, 9, 30), until: Date.UTC(2023, 3, 20, 11, 30) },
    ],
    ['missed-event:Spring sale', { kind: 'missed-event', name: 'Spring sale' }],
  ])('%s', (spec, fault) => {
    expect(parseFault(spec, T0)).toEqual(fault);
  });

  it.each([
    ['meteor@+1d', 'unknown fault "meteor"'],
    ['crash', 'crash needs a time after @'],
    ['crash@tomorrow', '"tomorrow" is neither an offset'],
    ['metrics-outage@+1d', 'metrics-outage needs a duration'],
    ['crash@+1d/2h', 'crash takes no duration'],
    ['slow-provisioning@+1d/6h:0.5', 'must be a number of at least 1'],
    ['failed-step@+1d:x', 'must be a whole number'],
    ['missed-event@+1d:x', 'missed-event takes the event name'],
    ['slow-provisioning@+1d/soon', '"soon" is not a duration'],
  ])('%s is refused with a reason', (spec, why) => {
    expect(() => parseFault(spec, T0)).toThrow(why);
  });
});
