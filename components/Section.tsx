// A part of the frame — header, confirm, countdown, help, source ages, metric table, output,
// timeline, checklist, chart, event log — as the view model laid it out: its lines, one under the
// other, never shrunk by Ink's layout. What each part says, and how many rows it gets, is decided
// in src/view/ (one file per part); nothing here knows which part it draws.

import { Box } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { Line } from './Line.js';

export function Section({ lines }: { lines: readonly LineModel[] }) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      {lines.map((line, i) => (
        <Line key={i} line={line} />
      ))}
    </Box>
  );
}
