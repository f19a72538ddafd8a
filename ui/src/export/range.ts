// The export form's dates to the core's RFC 3339 bounds: `since` inclusive (start of that
// day, UTC), `until` exclusive (start of the day after the last day picked, UTC).
export function sinceBound(day: string): string | null {
  return day ? `${day}T00:00:00Z` : null;
}

export function untilBound(lastDay: string): string | null {
  if (!lastDay) return null;
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
