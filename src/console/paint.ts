// The first frame, written as plain escape sequences before Ink has loaded. Loading React, Ink and
// Yoga costs more than everything else at start, and an operator opening the console during an
// incident should see the rollout at once: the same view model, drawn here without them, is on
// screen while they load. Ink then draws over it (see `overpaintFirstFrame` in console/ink-output.ts).

import { frameLines, type Line, type ViewModel } from '../view/model.js';
import { TONE_COLOR, type ToneColor } from '../view/palette.js';

const SGR_COLOR: Record<ToneColor, number> = { red: 31, green: 32, yellow: 33, magenta: 35, cyan: 36, gray: 90 };
const HOME = '\x1b[H';
const ERASE_LINE_END = '\x1b[K';
const RESET = '\x1b[0m';

/**
 * The whole frame from the top-left corner, every line erased to its end, and the cursor back at
 * the top-left corner: where Ink starts its own first frame.
 */
export function paintFrame(model: ViewModel): string {
  return HOME + frameLines(model).map((line) => paintLine(line, model.color) + ERASE_LINE_END).join('\r\n') + HOME;
}

function paintLine(line: Line, color: boolean): string {
  return line
    .map((span) => {
      const codes: number[] = [];
      const tone = color && span.tone ? TONE_COLOR[span.tone] : undefined;
      if (tone) codes.push(SGR_COLOR[tone]);
      if (span.bold) codes.push(1);
      if (color && span.inverse) codes.push(7);
      return codes.length > 0 ? `\x1b[${codes.join(';')}m${span.text}${RESET}` : span.text;
    })
    .join('');
}
