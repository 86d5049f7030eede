// The selected metric over the chosen window: canary, baseline and threshold lines.

import { Box } from 'ink';
import type { Line as LineModel } from '../src/view/model.js';
import { Lines } from './Line.js';

export function Chart({ lines }: { lines: readonly LineModel[] }) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Lines lines={lines} />
    </Box>
  );
}
