// One line of the view model: spans with tones. Colour is applied here (and, for the first paint
// before Ink has loaded, in src/console/paint.ts, from the same palette), and only when the console may
// use colour (NO_COLOR unset); symbols carry the meaning either way.

import { createContext, memo, useContext } from 'react';
import { Text } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { TONE_COLOR } from '../src/view/palette.js';

export const ColorContext = createContext(true);

/**
 * Drawn again only when its text or styles changed: the view model builds new lines every update,
 * most of them equal to the last, and React need not reconcile those again.
 */
export const Line = memo(LineView, (a, b) => sameLine(a.line, b.line));

/** Two lines with the same spans, span by span. */
export function sameLine(a: LineModel, b: LineModel): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.text !== y.text || x.tone !== y.tone || !!x.bold !== !!y.bold || !!x.inverse !== !!y.inverse) return false;
  }
  return true;
}

function LineView({ line }: { line: LineModel }) {
  const color = useContext(ColorContext);
  if (line.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {line.map((span, i) => (
        <Text
          key={i}
          color={color && span.tone ? TONE_COLOR[span.tone] : undefined}
          bold={span.bold ?? false}
          inverse={color && (span.inverse ?? false)}
        >
          {span.text}
        </Text>
      ))}
    </Text>
  );
}
