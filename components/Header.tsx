// Title, markers and clock; phase, traffic, time in phase and data age; the decision and why.

import { Box } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { Lines } from './Line.js';

export function Header({ lines }: { lines: readonly LineModel[] }) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Lines lines={lines} />
    </Box>
  );
}
