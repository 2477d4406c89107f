// A cron expression is bounded here before node-cron sees it: node-cron
// expands every range into an array of each number in it, so a schedule such
// as "0-999999999 * * * *" allocates gigabytes (and kills the process) before
// it is judged invalid. Each number must fit its field; node-cron then judges
// the rest of the syntax.
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

/** Throws UsageError naming the value when a number in `expression` is out of its field's range. */
export function checkCronBounds(expression: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`--schedule "${expression.slice(0, MAX_LENGTH)}" is not a cron expression: ${why}`);
  };
  if (expression.length > MAX_LENGTH) fail(`longer than ${MAX_LENGTH} characters`);
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return; // a nickname (@daily), or node-cron says what is wrong
  const named = fields.length === 5 ? FIELDS.slice(1) : FIELDS;
  fields.forEach((field, i) => {
    for (const [digits] of field.matchAll(/\d+/g))
      if (digits.length > 2 || Number(digits) > named[i].max) fail(`${digits} in the ${named[i].name} field is out of range (0-${named[i].max})`);
  });
}
