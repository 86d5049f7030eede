// Times of day in a time zone (`at: "09:00"`, `zone: Europe/Berlin`), for check-ins that happen at
// a clock time rather than on a cadence. Intl does the zone arithmetic, so daylight saving moves
// the instant and not the wall-clock time; without a zone the console's own (TZ) applies.

export interface TimeOfDay {
  hour: number;
  minute: number;
  /** An IANA zone; absent means the zone of the machine running rollcall. */
  zone?: string;
  /** Days of the week it happens on in that zone (0 Sunday .. 6 Saturday); absent means every day. */
  days?: number[];
}

/** Day names as profiles write them (`on: [mon, thu]`), indexed like Date#getUTCDay. */
export const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type DayName = (typeof DAY_NAMES)[number];

/** Day names to day numbers, in week order from Monday, without repeats. */
export function dayNumbers(names: readonly DayName[]): number[] {
  const set = new Set(names.map((n) => DAY_NAMES.indexOf(n)));
  return [1, 2, 3, 4, 5, 6, 0].filter((d) => set.has(d));
}

export const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function parseTimeOfDay(text: string): { hour: number; minute: number } | undefined {
  const m = TIME_OF_DAY.exec(text);
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : undefined;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every zone this Node knows, for did-you-mean. */
export function knownTimeZones(): string[] {
  return typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string | undefined): Intl.DateTimeFormat {
  const key = zone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      ...(zone !== undefined ? { timeZone: zone } : {}),
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(key, f);
  }
  return f;
}

/** The wall-clock time at instant t in the zone, as if it were UTC (epoch ms, whole seconds). */
function wallClock(t: number, zone: string | undefined): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(t)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** How far the zone's clock is ahead of UTC at instant t. */
function offsetAt(t: number, zone: string | undefined): number {
  return wallClock(t, zone) - Math.floor(t / 1_000) * 1_000;
}

/**
 * The first instant at or after `now` at which the zone's clock shows the time of day, on one of
 * its days. Eight days ahead always reach every weekday once more, whatever today is.
 */
export function nextTimeOfDay(time: TimeOfDay, now: number): number {
  const today = new Date(wallClock(now, time.zone));
  for (let day = 0; day <= 8; day++) {
    const wall = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + day, time.hour, time.minute);
    // The weekday of the zone's calendar date, which the wall-clock-as-UTC value carries.
    if (time.days !== undefined && time.days.length > 0 && !time.days.includes(new Date(wall).getUTCDay())) continue;
    // Twice: the offset at the guess may differ from the offset at the answer across a DST change.
    const guess = wall - offsetAt(wall, time.zone);
    const at = wall - offsetAt(guess, time.zone);
    if (at >= now) return at;
  }
  return now;
}

/** `09:00`, `09:00 Europe/Berlin`, `mon 09:00 Europe/Berlin`, `mon,thu 09:00`. */
export function formatTimeOfDay(time: TimeOfDay): string {
  const hhmm = `${String(time.hour).padStart(2, '0')}:${String(time.minute).padStart(2, '0')}`;
  const days = time.days !== undefined && time.days.length > 0 && time.days.length < 7 ? `${time.days.map((d) => DAY_NAMES[d]).join(',')} ` : '';
  return time.zone !== undefined ? `${days}${hhmm} ${time.zone}` : `${days}${hhmm}`;
}
