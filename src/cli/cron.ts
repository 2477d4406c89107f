// A cron expression is bounded here before node-cron sees it: node-cron
// expands every range into an array of each number in it, so a schedule such
// as "0-999999999 * * * *" allocates gigabytes (and kills the process) before
// it is judged invalid. Each number must fit its field, and each field is
// checked here, so that what is wrong is said in daxplan's words.
import { UsageError } from '../model/errors.js';

const FIELDS = [
  { name: 'second', max: 59 },
  { name: 'minute', max: 59 },
  { name: 'hour', max: 23 },
  { name: 'day-of-month', max: 31 },
  { name: 'month', max: 12 },
  { name: 'day-of-week', max: 7 },
];
const MAX_LENGTH = 200;

const NAMES: Record<string, readonly string[]> = {
  month: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  'day-of-week': ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};
/** One item of a field's comma list: *, N, N-M, or names, each optionally /STEP. */
const ITEM = /^(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:\/(\d+))?$/i;

/**
 * Throws UsageError, in one line naming the field and the fix, when
 * `expression` is not a 5- or 6-field cron expression daxplan accepts; a
 * number out of its field's range is refused before node-cron sees it.
 */
export function checkCronBounds(expression: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`--schedule "${expression.slice(0, MAX_LENGTH)}" is not a cron expression: ${why}`);
  };
  if (expression.length > MAX_LENGTH) fail(`longer than ${MAX_LENGTH} characters`);
  const fields = expression.trim().split(/\s+/);
  if (fields.length === 1 && fields[0].startsWith('@')) return; // a nickname (@daily): node-cron judges it
  if (fields.length !== 5 && fields.length !== 6) fail(`it has ${fields.length} field${fields.length === 1 ? '' : 's'}; write 5 (minute hour day month weekday, e.g. "*/10 * * * *") or 6 with seconds first`);
  const named = fields.length === 5 ? FIELDS.slice(1) : FIELDS;
  fields.forEach((field, i) => {
    const { name, max } = named[i];
    for (const item of field.split(',')) {
      const [, range, step] = ITEM.exec(item) ?? fail(`"${item}" in the ${name} field is not *, a number, a range (1-5) or either with a /step`);
      if (step !== undefined && Number(step) === 0) fail(`a step of 0 in the ${name} field never advances; write ${range}/1 or a larger step`);
      for (const part of range === '*' ? [] : range.split('-')) {
        if (/^\d+$/.test(part)) {
          if (part.length > 2 || Number(part) > max) fail(`${part} in the ${name} field is out of range (0-${max})`);
        } else if (!NAMES[name]?.includes(part.toLowerCase())) fail(`"${part}" in the ${name} field is not a number${NAMES[name] ? ` or one of ${NAMES[name].join(', ')}` : ''}`);
      }
    }
  });
}
