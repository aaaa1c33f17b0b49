// UTC days as the chain's history and the commands name them. In: Unix seconds, or a YYYY-MM-DD day.
// Out: the day a time falls in, or the Unix time a day starts at.

/** The UTC date of a Unix time, YYYY-MM-DD. */
export function utcDay(time: number): string {
  return new Date(time * 1000).toISOString().slice(0, 10);
}

/** Unix seconds of the start of a YYYY-MM-DD UTC day. */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}
