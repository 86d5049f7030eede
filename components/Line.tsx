// One line of the view model: spans with tones. Colour is applied here and nowhere else, and only
// when the console may use colour (NO_COLOR unset); symbols carry the meaning either way.

import { createContext, useContext } from 'react';
import { Box, Text } from 'ink';
import type { Line as LineModel, Tone } from '../src/view/model.js';

const COLOR: Record<Tone, string | undefined> = {
  ok: 'green',
  pending: 'cyan',
  warn: 'yellow',
  bad: 'red',
  muted: 'gray',
  accent: 'cyan',
  canary: 'cyan',
  baseline: 'magenta',
  title: undefined,
};

export const ColorContext = createContext(true);

export function Line({ line }: { line: LineModel }) {
  const color = useContext(ColorContext);
  if (line.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {line.map((span, i) => (
        <Text
          key={i}
          color={color && span.tone ? COLOR[span.tone] : undefined}
          bold={span.bold ?? false}
          inverse={color && (span.inverse ?? false)}
        >
          {span.text}
        </Text>
      ))}
    </Text>
  );
}

export function Lines({ lines }: { lines: readonly LineModel[] }) {
  return (
    <>
      {lines.map((line, i) => (
        <Line key={i} line={line} />
      ))}
    </>
  );
}

export interface BlockProps {
  lines: readonly LineModel[];
}

/** A section of the frame: its lines, one under the other, never shrunk by the layout. */
export function Block({ lines }: BlockProps) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Lines lines={lines} />
    </Box>
  );
}
