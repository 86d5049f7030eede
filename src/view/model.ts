// Snapshot + series + console state + terminal size → a view model: which sections fit, and every
// line already formatted and truncated to the width. Pure: components only draw what this returns,
// so everything an operator reads is decided (and tested) here without rendering. Each section's
// lines come from its own module; this one plans the frame and puts them together.

import { planLayout, type SectionKind } from './layout.js';
import type { ModelInput } from './model-input.js';
import { compact, type Line } from './line.js';
import { headerLines } from './header.js';
import { tableLines } from './table.js';
import { timelineLines, timelineNeed } from './timeline.js';
import { chartLines } from './chart-pane.js';
import { logLines, outputLines } from './activity.js';
import { checklistLines, checklistNeed } from './checklist.js';
import { sourcesLines } from './sources.js';
import { confirmHeight, confirmLines, countdownLines, footerLine, helpLines, helpScroll } from './dialogs.js';
import type { HelpScroll } from './help-keys.js';

export type { Line, Span, Tone } from './line.js';
export type { ChartMemo, ModelInput } from './model-input.js';

export interface Section {
  /** A console section, or the roll call's list of rollouts (view/overview.ts). */
  kind: SectionKind | 'rollouts';
  lines: Line[];
}

export interface ViewModel {
  /** Lines in the frame (rows − 1) and columns a line may use (columns − 1). */
  height: number;
  width: number;
  color: boolean;
  header: Line[];
  sections: Section[];
  /** Empty lines between the sections and the footer, so the footer sits on the last line. */
  gap: number;
  footer?: Line;
  /** While the help overlay is open: how it is scrolled, for the keys that scroll it. */
  help?: HelpScroll;
}

export function buildModel(input: ModelInput): ViewModel {
  const { state, ui } = input;
  const layout = planLayout(input.size, {
    metrics: state.snapshot.metrics.length,
    timeline: timelineNeed(state.profile),
    checklist: checklistNeed(state.snapshot),
    output: input.live.output ? Math.max(1, input.live.output.lines.length) : 0,
    confirm: confirmHeight(input, input.size.columns - 1),
    countdown: input.live.countdown !== undefined,
    help: ui.help ? input.keymap.bindings.length + 4 : 0,
    ages: ui.ages ? Object.keys(state.profile.sources).length : 0,
    enlarged: ui.enlarged,
    focus: ui.focus,
  });
  const sections: Section[] = layout.sections.map(({ kind, height }) => {
    const lines = (() => {
      switch (kind) {
        case 'confirm':
          return confirmLines(input, layout, height);
        case 'countdown':
          return countdownLines(input, layout);
        case 'help':
          return helpLines(input, layout, height);
        case 'ages':
          return sourcesLines(input, layout, height);
        case 'table':
          return tableLines(input, layout, height);
        case 'output':
          return outputLines(input, layout, height);
        case 'timeline':
          return timelineLines(input, layout, height);
        case 'checklist':
          return checklistLines(input, layout, height);
        case 'chart':
          return chartLines(input, layout, height);
        case 'log':
          return logLines(input, layout, height);
      }
    })();
    return { kind, lines: lines.slice(0, height) };
  });
  const head = headerLines(input, layout).slice(0, layout.header);
  const hasFooter = layout.height >= 4;
  const used = head.length + sections.reduce((n, sec) => n + sec.lines.length, 0) + (hasFooter ? 1 : 0);
  return {
    height: layout.height,
    width: layout.width,
    color: input.color,
    header: head.map(compact),
    sections: sections.map((sec) => ({ kind: sec.kind, lines: sec.lines.map(compact) })),
    gap: Math.max(0, layout.height - used),
    ...(hasFooter ? { footer: compact(footerLine(input, layout.width)) } : {}),
    ...helpSection(input, layout.sections),
  };
}

function helpSection(input: ModelInput, sections: readonly { kind: SectionKind; height: number }[]): Pick<ViewModel, 'help'> {
  const help = sections.find((sec) => sec.kind === 'help');
  return help ? { help: helpScroll(input, help.height) } : {};
}

/** Every line of a model, top to bottom, the gap above the footer as empty lines. */
export function frameLines(model: ViewModel): Line[] {
  return [
    ...model.header,
    ...model.sections.flatMap((sec) => sec.lines),
    ...new Array<Line>(model.gap).fill([]),
    ...(model.footer ? [model.footer] : []),
  ];
}

/** Every line of a model as plain text, top to bottom: what a terminal shows without colour. */
export function frameText(model: ViewModel): string[] {
  return frameLines(model).map((line) => line.map((sp) => sp.text).join(''));
}
