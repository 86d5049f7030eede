import { describe, expect, it } from 'vitest';
import { plotChart, type ChartInput } from '../../src/view/chart.js';
import type { Point } from '../../src/engine/types.js';
import { SampleView } from '../../src/engine/sample-view.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const every15s = (minutes: number, f: (i: number) => number): Point[] =>
  Array.from({ length: minutes * 4 + 1 }, (_, i) => ({ t: NOW - minutes * 60_000 + i * 15_000, v: f(i) }));

function chart(extra: Partial<Omit<ChartInput, 'canary' | 'baseline'>> & { canary?: Point[]; baseline?: Point[] }): ReturnType<typeof plotChart> {
  const series = { canary: SampleView.of(extra.canary ?? []), baseline: SampleView.of(extra.baseline ?? []) };
  return plotChart({ thresholds: [], unit: 'ratio', windowMs: 15 * 60_000, now: NOW, intervalMs: 15_000, width: 70, height: 10, ...extra, ...series });
}
const text = (plot: ReturnType<typeof plotChart>) => plot.lines.map((l) => l.map((s) => s.text).join(''));

describe('the metric chart', () => {
  it('fits the lines and columns it is given', () => {
    const plot = chart({ canary: every15s(15, (i) => 0.01 + (i % 7) * 0.001), width: 70, height: 10 });
    expect(plot.lines.length).toBeLessThanOrEqual(10);
    for (const line of text(plot)) expect([...line].length).toBeLessThanOrEqual(70);
    expect(plot.timeAxis.length).toBeLessThanOrEqual(70);
  });

  it('labels the y axis in the metric unit and the x axis with the window', () => {
    const plot = chart({ canary: every15s(15, (i) => 0.1 + i * 0.001), unit: 'ratio' });
    const lines = text(plot);
    // One number of decimals on the whole axis, as many as the step between rows needs.
    expect(lines[0]).toMatch(/^\s*16\.0%┤/);
    expect(lines[lines.length - 1]).toMatch(/^\s*10\.0%┼/);
    expect(plot.timeAxis).toMatch(/-15m.*now$/);
    const seconds = chart({ canary: every15s(15, (i) => 0.2 + i * 0.001), unit: 'seconds' });
    expect(text(seconds)[0]).toMatch(/^\s*260ms┤/);
  });

  it('tells canary, baseline and thresholds apart by glyph as well as by tone', () => {
    const plot = chart({
      canary: every15s(15, (i) => (i < 30 ? 0.01 : 0.03)),
      baseline: every15s(15, () => 0.012),
      thresholds: [
        { severity: 'warn', value: 0.02 },
        { severity: 'rollback', value: 0.025 },
      ],
    });
    const spans = plot.lines.flat();
    expect(spans.some((s) => s.tone === 'canary' && /[─╭╮╯╰│]/.test(s.text))).toBe(true);
    expect(spans.some((s) => s.tone === 'baseline' && s.text.includes('╌'))).toBe(true);
    expect(spans.some((s) => s.tone === 'warn' && s.text.includes('┈'))).toBe(true);
    expect(spans.some((s) => s.tone === 'rollback' && s.text.includes('┅'))).toBe(true);
  });

  it('leaves a gap where the source went silent instead of drawing through it', () => {
    const points = every15s(15, () => 0.01).filter((p) => p.t < NOW - 10 * 60_000 || p.t > NOW - 5 * 60_000);
    const plot = chart({ canary: points, thresholds: [] });
    const row = text(plot).find((l) => l.includes('─'))!;
    const data = row.slice(row.indexOf('┼') + 1 || row.indexOf('┤') + 1);
    expect(data).toMatch(/─ {10,}─/);
  });

  it('draws sparse samples as a continuous line', () => {
    const plot = chart({ canary: every15s(15, () => 0.01), width: 120 });
    const row = text(plot).find((l) => l.includes('─'))!;
    expect(row.trimEnd()).toMatch(/─{80,}$/);
  });

  it('names a threshold far from the data as off scale rather than flattening the line', () => {
    const plot = chart({ canary: every15s(15, (i) => 0.003 + (i % 5) * 0.0002), thresholds: [{ severity: 'rollback', value: 0.5 }] });
    expect(plot.offScale).toEqual([{ severity: 'rollback', value: 0.5 }]);
    expect(plot.lines.flat().some((s) => s.tone === 'rollback')).toBe(false);
  });

  it('says it is empty when nothing was sampled in the window', () => {
    expect(chart({ canary: [{ t: NOW - 3_600_000, v: 1 }] }).empty).toBe(true);
  });

  it('survives a flat series, a single point and values from before the window', () => {
    expect(() => chart({ canary: [{ t: NOW, v: 0 }] })).not.toThrow();
    expect(() => chart({ canary: every15s(60, (i) => (i < 10 ? 100 : 1)) })).not.toThrow();
    expect(() => chart({ canary: every15s(15, () => 5), unit: 'count', height: 3, width: 20 })).not.toThrow();
  });
});
