// The export form's range to the core's RFC 3339 bounds. Each end is typed (a UTC day
// `2026-11-01`, or a moment in RFC 3339) or picked (a date-time picker's `2026-11-01T08:00`,
// taken as UTC). A day: `since` from its start, `until` to its end (the start of the next
// day, exclusive); a moment is exact. Anything else is named by `rangeProblem` when the
// person exports, before the save dialog opens.

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const PICKED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;
const MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A date-time picker's value (`2026-11-01T08:00`, no zone) as the UTC moment it names. */
export function pickedMoment(value: string): string {
  if (!PICKED.test(value)) return value;
  return value.length === 16 ? `${value}:00Z` : `${value}Z`;
}

/** The picker's value for a typed end (a day or a UTC moment), or empty. */
export function pickerValue(typed: string): string {
  const t = typed.trim();
  if (DAY.test(t)) return `${t}T00:00`;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?(\.\d+)?Z$/.exec(t);
  return m ? m[1]! : '';
}

export function sinceBound(typed: string): string | null {
  const t = typed.trim();
  if (!t) return null;
  return DAY.test(t) ? `${t}T00:00:00Z` : pickedMoment(t);
}

export function untilBound(typed: string): string | null {
  const lastDay = typed.trim();
  if (!lastDay) return null;
  if (!DAY.test(lastDay)) return pickedMoment(lastDay);
  const d = new Date(`${lastDay}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return null;
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace('.000Z', 'Z');
}

/** A file name to propose in the save dialog. */
export function suggestedName(app: string | null, env: string | null, format: string, today: Date): string {
  const parts = ['tollgate-audit', app, env, today.toISOString().slice(0, 10)].filter(Boolean);
  return `${parts.join('-')}.${format}`;
}

/** What is wrong with the typed range, in one sentence, or `null`: each end is empty, a day or
 * a moment with its zone, and the period they make is not empty. */
export function rangeProblem(since: string, until: string): string | null {
  const ends: [string, string][] = [
    ['From', since],
    ['To', until],
  ];
  for (const [label, typed] of ends) {
    // A typed end as the moment it starts at (a day at midnight UTC, a picked moment in UTC).
    const moment = sinceBound(typed);
    if (moment === null) continue;
    if (!MOMENT.test(moment) || Number.isNaN(Date.parse(moment)) || !realDay(moment.slice(0, 10))) {
      return `${label}: “${typed.trim()}” is not a day or a moment; type 2026-11-01 or 2026-11-01T08:00:00Z, or pick one.`;
    }
  }
  const s = sinceBound(since);
  const u = untilBound(until);
  if (s && u && Date.parse(s) >= Date.parse(u)) {
    return 'The period is empty: From must be before To (a day alone covers the whole day).';
  }
  return null;
}

/** Whether `2026-02-30` is a day of the calendar (Date.parse rolls it over to March). */
function realDay(day: string): boolean {
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}
