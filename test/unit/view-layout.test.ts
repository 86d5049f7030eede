import { describe, expect, it } from 'vitest';
import { planLayout, type LayoutNeeds } from '../../src/view/layout.js';

const needs: LayoutNeeds = { metrics: 8, timeline: 6, checklist: 2, output: 0, confirm: 0, countdown: false, help: 0, ages: 0, enlarged: false, focus: 'metrics' };
const total = (l: ReturnType<typeof planLayout>) => l.header + l.sections.reduce((n, s) => n + s.height, 0) + 1;
const kinds = (l: ReturnType<typeof planLayout>) => l.sections.map((s) => s.kind);

describe('what fits at a size', () => {
  it('shows the header, every metric and the footer at 80x24, in at most 23 lines', () => {
    const layout = planLayout({ columns: 80, rows: 24 }, needs);
    expect(layout.height).toBe(23);
    expect(layout.width).toBe(79);
    expect(layout.tableRows).toBe(8);
    expect(kinds(layout)).not.toContain('timeline');
    expect(kinds(layout)).not.toContain('chart');
    expect(total(layout)).toBeLessThanOrEqual(23);
  });

  it('adds the timeline, the chart, the checklist and the log on a large terminal', () => {
    const layout = planLayout({ columns: 160, rows: 48 }, needs);
    expect(kinds(layout)).toEqual(['timeline', 'table', 'chart', 'checklist', 'log']);
    expect(total(layout)).toBe(47);
  });

  it('never plans more lines than rows − 1, whatever the size and content', () => {
    for (let rows = 3; rows <= 60; rows += 3) {
      for (const columns of [40, 80, 120, 200]) {
        for (const extra of [{}, { output: 12 }, { confirm: 3, countdown: true }, { help: 30 }, { enlarged: true }, { metrics: 40 }]) {
          const layout = planLayout({ columns, rows }, { ...needs, ...extra });
          expect(total(layout) - (layout.height >= 4 ? 0 : 1)).toBeLessThanOrEqual(rows - 1);
        }
      }
    }
  });

  it('puts a question and a countdown first, above everything else', () => {
    const layout = planLayout({ columns: 80, rows: 24 }, { ...needs, confirm: 3, countdown: true });
    expect(kinds(layout).slice(0, 2)).toEqual(['countdown', 'confirm']);
  });

  it('scrolls the table when the metrics do not fit', () => {
    const layout = planLayout({ columns: 80, rows: 12 }, { ...needs, metrics: 20 });
    expect(layout.tableRows).toBeGreaterThan(0);
    expect(layout.tableRows).toBeLessThan(20);
  });

  it('gives the enlarged chart everything between header and footer', () => {
    const layout = planLayout({ columns: 80, rows: 24 }, { ...needs, enlarged: true });
    expect(kinds(layout)).toEqual(['chart']);
    expect(layout.sections[0]!.height).toBe(23 - 3 - 1);
  });

  it('shows the checklist at 80x24 when it has the focus', () => {
    expect(kinds(planLayout({ columns: 80, rows: 24 }, { ...needs, focus: 'checklist' }))).toContain('checklist');
  });
});
