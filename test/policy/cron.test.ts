// The 5-field cron check behind schedule.cron: what it accepts and the reason it gives otherwise.

import { describe, expect, it } from 'vitest';
import { cronProblem } from '../../src/policy/cron.js';

describe('cronProblem', () => {
  it.each([
    '*/15 * * * *',
    '0 0 * * *',
    '0,30 9-17 * * 1-5',
    '5 4 1 jan,JUL sun',
    '0 12 * * 7',
    '  */5   *  * * *  ',
    '0-59/10 0-23/2 1-31/3 1-12 0-7',
  ])('accepts %j', (expr) => {
    expect(cronProblem(expr)).toBeUndefined();
  });

  it.each([
    ['', 'needs 5 fields (minute hour day-of-month month day-of-week, like "*/15 * * * *"); it has 0'],
    ['@hourly', 'needs 5 fields (minute hour day-of-month month day-of-week, like "*/15 * * * *"); it has 1'],
    [
      '0 0 * * * *',
      'needs 5 fields (minute hour day-of-month month day-of-week, like "*/15 * * * *"); it has 6',
    ],
    ['60 * * * *', 'minute "60" is outside 0-59'],
    ['* * 0 * *', 'day-of-month "0" is outside 1-31'],
    ['* * * 13 *', 'month "13" is outside 1-12'],
    ['* * * * 8', 'day-of-week "8" is outside 0-7'],
    ['* * * * funday', 'day-of-week "funday" is outside 0-7'],
    ['*/0 * * * *', 'minute "*/0": a step is "/N" with N a whole number of at least 1'],
    ['1/2/3 * * * *', 'minute "1/2/3": a step is "/N" with N a whole number of at least 1'],
    ['30-10 * * * *', 'minute "30-10": the range runs backwards'],
    ['1-2-3 * * * *', 'minute "1-2-3" is not a value, a range a-b or *'],
    ['0,,5 * * * *', 'minute "" is not a value, a range a-b or *'],
    ['? * * * *', 'minute "?" is outside 0-59'],
  ])('refuses %j: %s', (expr, problem) => {
    expect(cronProblem(expr)).toBe(problem);
  });
});
