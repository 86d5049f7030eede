// Check-ins at a time of day (seed 003's "daily 9 AM standup"): `at: "09:00"` with an optional
// IANA zone, beside the cadence check-ins, on a virtual clock.

import { describe, expect, it } from 'vitest';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import { formatIssue } from '../../src/profile/issues.js';
import { nextTimeOfDay } from '../../src/profile/time-of-day.js';
import { nextCheckin } from '../../src/engine/phases.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { VirtualClock } from '../../src/engine/clock.js';
import { initialState } from '../../src/engine/state.js';
import { buildModel, frameText } from '../../src/view/model.js';
import { buildKeymap } from '../../src/console/keymap.js';
import { initialUi } from '../../src/view/ui.js';
import { formatCheckText, toCheckReport } from '../../src/commands/check-format.js';
import { consoleState, snapshot } from '../fixtures/console/state.js';

const FILE = 'profiles/checkout.yaml';
const M = 60_000;
const H = 60 * M;

function yaml(checkins: string): string {
  return `name: checkout
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  error_rate: { source: prom, query: "sum(rate(errors_total[5m]))", unit: ratio }
phases:
  - name: ramp
    traffic: 25
    checkins:
${checkins}`;
}

function lines(text: string): string[] {
  return checkProfileText(text, FILE, { env: {} }).issues.map(formatIssue);
}

describe('time-of-day check-ins in a profile', () => {
  it('compiles one time or several, each with its zone, beside the cadence', () => {
    const { profile } = parseProfile(yaml('      - { every: 1h }\n      - { at: "09:00", zone: Europe/Berlin }\n      - { at: ["13:30", "17:00"] }\n'), FILE, { env: {} });
    const phase = profile.phases[0]!;
    expect(phase.checkins).toEqual([{ everyMs: H }]);
    expect(phase.checkinTimes).toEqual([{ hour: 9, minute: 0, zone: 'Europe/Berlin' }, { hour: 13, minute: 30 }, { hour: 17, minute: 0 }]);
  });

  it('rejects a time that is not HH:MM, at the time', () => {
    expect(lines(yaml('      - { at: "9am" }\n'))).toEqual([`${FILE}:10:15: phases[0].checkins[0].at: "9am" is not valid here: use a time of day as 24-hour HH:MM, e.g. "09:00"`]);
  });

  it('rejects an unknown zone with the nearest known one', () => {
    expect(lines(yaml('      - { at: "09:00", zone: Europe/Berln }\n'))).toEqual([
      `${FILE}:10:30: phases[0].checkins[0].zone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?); use an IANA zone such as Europe/Berlin or UTC`,
    ]);
  });

  it('rejects every and at in one entry, and an entry with neither', () => {
    expect(lines(yaml('      - { every: 1h, at: "09:00" }\n'))).toEqual([
      `${FILE}:10:26: phases[0].checkins[0].at: a check-in is either a cadence (every:) or times of day (at:), not both; write them as two entries`,
    ]);
    expect(lines(yaml('      - { zone: UTC }\n'))).toEqual([
      `${FILE}:10:9: phases[0].checkins[0]: a check-in needs every: (a cadence, e.g. every: 15m) or at: (a time of day, e.g. at: "09:00")`,
    ]);
  });

  it('lets a cadence before a time-of-day entry still end with the open-ended cadence', () => {
    expect(lines(yaml('      - { every: 15m, for: 4h }\n      - { every: 1h }\n      - { at: "09:00" }\n'))).toEqual([]);
  });
});

describe('the next time of day', () => {
  it('is today when the time is still ahead, tomorrow once it has passed, and now at the minute', () => {
    const nine = { hour: 9, minute: 0, zone: 'UTC' };
    expect(nextTimeOfDay(nine, Date.UTC(2026, 0, 5, 7, 0))).toBe(Date.UTC(2026, 0, 5, 9, 0));
    expect(nextTimeOfDay(nine, Date.UTC(2026, 0, 5, 9, 0))).toBe(Date.UTC(2026, 0, 5, 9, 0));
    expect(nextTimeOfDay(nine, Date.UTC(2026, 0, 5, 9, 1))).toBe(Date.UTC(2026, 0, 6, 9, 0));
  });

  it('keeps 09:00 Berlin at 09:00 on the wall clock across the change to summer time', () => {
    const nine = { hour: 9, minute: 0, zone: 'Europe/Berlin' };
    // 2026-03-29 is the switch: 09:00 CET is 08:00 UTC the day before, 09:00 CEST is 07:00 UTC after.
    expect(nextTimeOfDay(nine, Date.UTC(2026, 2, 28, 9, 0))).toBe(Date.UTC(2026, 2, 29, 7, 0));
    expect(nextTimeOfDay(nine, Date.UTC(2026, 2, 27, 12, 0))).toBe(Date.UTC(2026, 2, 28, 8, 0));
  });

  it('falls on the next day in New York when it is already past 09:00 there', () => {
    expect(nextTimeOfDay({ hour: 9, minute: 0, zone: 'America/New_York' }, Date.UTC(2026, 0, 5, 15, 0))).toBe(Date.UTC(2026, 0, 6, 14, 0));
  });
});

describe('time-of-day check-ins in the engine', () => {
  const { profile } = parseProfile(yaml('      - { every: 4h }\n      - { at: "09:00", zone: UTC }\n'), FILE, { env: {} });
  const phase = profile.phases[0]!;

  it('makes the daily one the next check-in when it comes before the cadence', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 5, 6, 0));
    const start = clock.now();
    await clock.advance(2 * H + 30 * M);
    expect(nextCheckin(phase, start, clock.now())).toEqual({ at: Date.UTC(2026, 0, 5, 9, 0), daily: '09:00 UTC' });
    const snap = evaluate(profile, initialState(profile.name, start), {}, clock.now());
    expect(snap.phase).toMatchObject({ nextCheckinAt: Date.UTC(2026, 0, 5, 9, 0), checkinDaily: '09:00 UTC', dailyCheckin: { at: Date.UTC(2026, 0, 5, 9, 0), time: '09:00 UTC' } });
  });

  it('keeps the cadence as the next check-in when it comes first, the daily one beside it', () => {
    const start = Date.UTC(2026, 0, 5, 10, 0);
    const snap = evaluate(profile, initialState(profile.name, start), {}, start + H);
    expect(snap.phase.nextCheckinAt).toBe(start + 4 * H);
    expect(snap.phase.checkinEveryMs).toBe(4 * H);
    expect(snap.phase.checkinDaily).toBeUndefined();
    expect(snap.phase.dailyCheckin).toEqual({ at: Date.UTC(2026, 0, 6, 9, 0), time: '09:00 UTC' });
  });
});

describe('time-of-day check-ins on screen and in check', () => {
  const base = consoleState();
  const now = base.now;
  const soon = snapshot({ phase: { ...base.snapshot.phase, nextCheckinAt: now + 30 * M, checkinEveryMs: H, dailyCheckin: { at: now + 5 * H, time: '09:00 Europe/Berlin' } } });
  const state = { ...base, snapshot: soon };

  it('shows the daily check-in beside a sooner cadence one in the timeline', () => {
    const lines = frameText(buildModel({ state, live: state, ui: initialUi, size: { columns: 140, rows: 40 }, keymap: buildKeymap(state.profile), color: false, chartMemo: {} }));
    const text = lines.join('\n');
    expect(text).toMatch(/next check-in \d\d:\d\d \(in 30m, every 1h\)/);
    expect(text).toContain('daily 09:00 Europe/Berlin in 5h');
  });

  it('names the daily check-in in check, with its instant in UTC', () => {
    const report = toCheckReport(state.profile, state.snapshot, { exitCode: 0, sources: [], notices: [] });
    expect(report.phase.dailyCheckin).toEqual({ at: new Date(now + 5 * H).toISOString(), time: '09:00 Europe/Berlin' });
    expect(formatCheckText(report)).toContain(`daily check-in ${new Date(now + 5 * H).toISOString().slice(0, 10)} 19:05 UTC (09:00 Europe/Berlin)`);
  });

  it('says daily in check when the daily one is the next check-in', () => {
    const daily = snapshot({ phase: { ...base.snapshot.phase, nextCheckinAt: now + 30 * M, checkinDaily: '09:00', dailyCheckin: { at: now + 30 * M, time: '09:00' } } });
    const text = formatCheckText(toCheckReport(base.profile, daily, { exitCode: 0, sources: [], notices: [] }));
    expect(text).toContain('next check-in 2026-03-10 14:35 UTC (daily 09:00)');
    expect(text).not.toContain('daily check-in');
  });
});

describe('check-ins on days of the week, several times a day', () => {
  const berlin = '      - { at: ["09:00", "14:00", "19:00"], zone: Europe/Berlin }\n      - { at: "10:00", zone: Europe/Berlin, on: [mon] }\n';

  it('compiles on: into days of the week for each of its times, and keeps at: "09:00" alone as every day', () => {
    const { profile } = parseProfile(yaml('      - { at: ["09:00", "14:00"], zone: UTC, on: [tue, mon, mon] }\n      - { at: "09:00" }\n'), FILE, { env: {} });
    expect(profile.phases[0]!.checkinTimes).toEqual([
      { hour: 9, minute: 0, zone: 'UTC', days: [1, 2] },
      { hour: 14, minute: 0, zone: 'UTC', days: [1, 2] },
      { hour: 9, minute: 0 },
    ]);
  });

  it('rejects a day name it does not know, at the day, with the nearest one', () => {
    expect(lines(yaml('      - { at: "09:00", on: [mon, thr] }\n'))).toEqual([
      `${FILE}:10:34: phases[0].checkins[0].on[1]: expected one of sun, mon, tue, wed, thu, fri, sat, found "thr" (did you mean "thu"?)`,
    ]);
  });

  it('rejects a bad time among several, at that time', () => {
    expect(lines(yaml('      - { at: ["09:00", "14:60"] }\n'))).toEqual([
      `${FILE}:10:25: phases[0].checkins[0].at[1]: "14:60" is not valid here: use a time of day as 24-hour HH:MM, e.g. "09:00"`,
    ]);
  });

  it('rejects on: beside a cadence', () => {
    expect(lines(yaml('      - { every: 1h, on: [mon] }\n'))).toEqual([`${FILE}:10:26: phases[0].checkins[0].on: on: (days of the week) belongs to check-ins at a time of day (at:)`]);
  });

  it('walks morning, afternoon and evening in Berlin across the change to summer time, and Monday only on Mondays', async () => {
    const { profile } = parseProfile(yaml(berlin), FILE, { env: {} });
    const phase = profile.phases[0]!;
    // Saturday 2026-03-28 20:00 UTC (21:00 CET); summer time starts Sunday 2026-03-29 at 02:00.
    const clock = new VirtualClock(Date.UTC(2026, 2, 28, 20, 0));
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const next = nextCheckin(phase, clock.now(), clock.now())!;
      seen.push(`${new Date(next.at).toISOString().slice(0, 16)} ${next.daily}`);
      await clock.advance(next.at - clock.now() + M);
    }
    expect(seen).toEqual([
      '2026-03-29T07:00 09:00 Europe/Berlin',
      '2026-03-29T12:00 14:00 Europe/Berlin',
      '2026-03-29T17:00 19:00 Europe/Berlin',
      '2026-03-30T07:00 09:00 Europe/Berlin',
      '2026-03-30T08:00 mon 10:00 Europe/Berlin',
      '2026-03-30T12:00 14:00 Europe/Berlin',
    ]);
  });

  it('finds next Monday 10:00 Berlin across the change back to winter time', () => {
    const monday = { hour: 10, minute: 0, zone: 'Europe/Berlin', days: [1] };
    // Tuesday 2026-10-20; winter time returns Sunday 2026-10-25 at 03:00: 10:00 CET is 09:00 UTC.
    expect(nextTimeOfDay(monday, Date.UTC(2026, 9, 20, 12, 0))).toBe(Date.UTC(2026, 9, 26, 9, 0));
    // Monday before the change at 09:00 CEST (07:00 UTC): still today, at 08:00 UTC.
    expect(nextTimeOfDay(monday, Date.UTC(2026, 9, 19, 7, 0))).toBe(Date.UTC(2026, 9, 19, 8, 0));
    // Monday just after 10:00 there: a week later.
    expect(nextTimeOfDay(monday, Date.UTC(2026, 9, 19, 8, 1))).toBe(Date.UTC(2026, 9, 26, 9, 0));
  });

  it('takes the weekday in the zone, not in UTC: Monday 00:30 in Tokyo is still Sunday in UTC', () => {
    const tokyo = { hour: 0, minute: 30, zone: 'Asia/Tokyo', days: [1] };
    expect(nextTimeOfDay(tokyo, Date.UTC(2026, 0, 4, 12, 0))).toBe(Date.UTC(2026, 0, 4, 15, 30));
  });
});
