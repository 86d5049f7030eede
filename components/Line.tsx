// One line of the view model: spans with tones. Colour is applied here (and, for the first paint
// before Ink has loaded, in src/console/paint.ts, from the same palette), and only when the console may
// use colour (NO_COLOR unset); symbols carry the meaning either way.

import { createContext, useContext } from 'react';
import { Text } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { TONE_COLOR } from '../src/view/palette.js';

export const ColorContext = createContext(true);

export function Line({ line }: { line: LineModel }) {
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
