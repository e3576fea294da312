// The 5-field cron check behind schedule.cron: croner (the scheduler's own library) decides; the
// check names the field it refuses, and refuses a schedule that never fires.

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
    ['* * * * funday', 'day-of-week "funday": configuration entry 5 (funday) contains illegal characters.'],
    ['*/0 * * * *', 'minute "*/0": Syntax error, illegal stepping: 0'],
    ['1/2/3 * * * *', 'minute "1/2/3": Syntax error, illegal stepping: \'1/2/3\''],
    ['30-10 * * * *', 'minute "30-10": From value is larger than to value: \'30-10\''],
    ['1-2-3 * * * *', 'minute "1-2-3": Syntax error, illegal range: \'1-2-3\''],
    ['0,,5 * * * *', 'minute "0,,5": configuration entry minute () is empty, check for trailing spaces.'],
    ['0 0 31 2 *', 'never fires (no date matches every field)'],
    ['0 0 30 2 *', 'never fires (no date matches every field)'],
  ])('refuses %j: %s', (expr, problem) => {
    expect(cronProblem(expr)).toBe(problem);
  });
});
