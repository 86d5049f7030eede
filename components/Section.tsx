// A part of the frame — header, confirm, countdown, help, source ages, metric table, output,
// timeline, checklist, chart, event log — as the view model laid it out: its lines, one under the
// other, never shrunk by Ink's layout. What each part says, and how many rows it gets, is decided
// in src/view/ (one file per part); nothing here knows which part it draws.

import { memo } from 'react';
import { Box } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { Line, sameLine } from './Line.js';

/** Drawn again only when one of its lines changed (see Line). */
export const Section = memo(SectionView, (a, b) => a.lines.length === b.lines.length && a.lines.every((line, i) => sameLine(line, b.lines[i]!)));

function SectionView({ lines }: { lines: readonly LineModel[] }) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      {lines.map((line, i) => (
        <Line key={i} line={line} />
      ))}
    </Box>
  );
}
