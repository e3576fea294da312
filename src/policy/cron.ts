// Checks a 5-field cron expression (minute hour day-of-month month day-of-week) the way the
// scheduler will read it, so a policy with a schedule that would never fire, or fire wrongly, is
// refused in review rather than at run time. Only checks: running cron is the scheduler's job.

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: 'jan feb mar apr may jun jul aug sep oct nov dec' },
  { name: 'day-of-week', min: 0, max: 7, names: 'sun mon tue wed thu fri sat' },
] as const;

const SHAPE = 'minute hour day-of-month month day-of-week, like "*/15 * * * *"';

/** An item as a complaint quotes it: JSON-escaped and cut short, so a message stays one line. */
const q = (item: string) => JSON.stringify(item.length > 40 ? `${item.slice(0, 40)}…` : item);

function value(text: string, field: (typeof FIELDS)[number]): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if (!('names' in field)) return undefined;
  const i = field.names.split(' ').indexOf(text.toLowerCase());
  return i < 0 ? undefined : i + field.min;
}

function itemProblem(item: string, field: (typeof FIELDS)[number]): string | undefined {
  const [range = '', step, ...extra] = item.split('/');
  if (extra.length || (step !== undefined && !/^[1-9]\d*$/.test(step)))
    return `${field.name} ${q(item)}: a step is "/N" with N a whole number of at least 1`;
  if (range === '*') return undefined;
  const ends = range.split('-');
  if (ends.length > 2 || ends.some((e) => e === ''))
    return `${field.name} ${q(item)} is not a value, a range a-b or *`;
  const [lo, hi] = ends.map((e) => value(e, field));
  const out = (v: number | undefined) => v === undefined || v < field.min || v > field.max;
  if (out(lo) || (ends.length === 2 && out(hi)))
    return `${field.name} ${q(item)} is outside ${field.min}-${field.max}`;
  if (hi !== undefined && hi < lo!) return `${field.name} ${q(item)}: the range runs backwards`;
  return undefined;
}

/** Why `expr` is not a valid 5-field cron expression, or undefined when it is one. */
export function cronProblem(expr: string): string | undefined {
  const parts = expr.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 5) return `needs 5 fields (${SHAPE}); it has ${parts.length}`;
  for (const [i, part] of parts.entries()) {
    for (const item of part.split(',')) {
      const problem = itemProblem(item, FIELDS[i]!);
      if (problem) return problem;
    }
  }
  return undefined;
}
