// Checks a 5-field cron expression (minute hour day-of-month month day-of-week) with the library
// the scheduler fires it with (croner), so a policy whose schedule would never fire, or that the
// scheduler would read differently, is refused in review rather than at run time.

import { Cron } from 'croner';

const SHAPE = 'minute hour day-of-month month day-of-week, like "*/15 * * * *"';

/** A date the "never fires" check starts from: any fixed one does (no wall clock in a check). */
const FROM = new Date(Date.UTC(2000, 0, 1));

const FIELDS = [
  { name: 'minute', range: '0-59' },
  { name: 'hour', range: '0-23' },
  { name: 'day-of-month', range: '1-31' },
  { name: 'month', range: '1-12' },
  { name: 'day-of-week', range: '0-7' },
] as const;

const compile = (parts: readonly string[]) => new Cron(parts.join(' '), { paused: true, mode: '5-part' });

/** croner's own words, one line, without its class-name prefix. */
const oneLine = (err: unknown) =>
  String((err as Error).message)
    .replace(/^CronPattern:\s*/, '')
    .replace(/\s+/g, ' ')
    .slice(0, 200);

/** Which field croner refuses, each tried alone, in the policy's terms (croner counts day and month from 0 in its messages). */
function fieldProblem(parts: readonly string[]): string | undefined {
  for (const [i, part] of parts.entries()) {
    const alone = parts.map((p, j) => (j === i ? p : '*'));
    try {
      compile(alone);
    } catch (err) {
      const field = FIELDS[i]!;
      const quoted = JSON.stringify(part.length > 40 ? `${part.slice(0, 40)}…` : part);
      const why = oneLine(err);
      if (/^Invalid value/.test(why)) return `${field.name} ${quoted} is outside ${field.range}`;
      return `${field.name} ${quoted}: ${why}`;
    }
  }
  return undefined;
}

/** Why `expr` is not a valid 5-field cron expression, or undefined when it is one. */
export function cronProblem(expr: string): string | undefined {
  const parts = expr.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 5) return `needs 5 fields (${SHAPE}); it has ${parts.length}`;
  let job: Cron;
  try {
    job = compile(parts);
  } catch (err) {
    return fieldProblem(parts) ?? oneLine(err);
  }
  // Croner looks years ahead for a matching day: "0 0 31 2 *" (31 February) has none.
  if (!job.nextRun(FROM)) return 'never fires (no date matches every field)';
  return undefined;
}
